from services.gateway.rate_limits import RateLimits, retry_after


def test_the_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    now = [0.0]
    limits = RateLimits(rate=10, burst=20, clock=lambda: now[0])
    assert limits.take("a", 20) == 0
    assert limits.take("a", 5) == 0.5  # 5 events at 10/s
    assert limits.take("b", 20) == 0  # partners do not share a bucket
    now[0] = 1.0
    assert limits.take("a", 10) == 0
    now[0] = 100.0
    assert limits.take("a", 25) == 0  # bigger than the burst: through from a full bucket
    assert limits.take("a", 1) == 0.6  # ...which it left 5 in debt
    assert retry_after(0.2) == "1" and retry_after(2.1) == "3"


def test_a_body_costs_an_event_a_kib_and_work_done_may_leave_the_bucket_in_debt() -> None:
    from services.gateway.rate_limits import body_cost

    assert [body_cost(n) for n in (0, 1, 1024, 1025, 1024 * 1024)] == [1, 1, 1, 2, 1024]
    now = [0.0]
    limits = RateLimits(rate=1, burst=10, clock=lambda: now[0])
    assert limits.in_debt("a") == 0
    limits.spend("a", 12)  # a refused body already read: charged whatever the bucket held
    assert limits.in_debt("a") == 3.0 and limits.take("a", 1) == 3.0
    limits.spend("a", -5)  # given back
    assert limits.in_debt("a") == 0 and limits.take("a", 3) == 0
