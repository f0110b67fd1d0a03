"""The webhooks service: each partner's inbox POSTed to the endpoints it registered."""
