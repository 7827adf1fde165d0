-- wrk: the same request as a POST (the bare write of bench/run_bench.py).
wrk.method = "POST"
