"""Revenue per region from generated orders: a small Spark app that uses the network the way real
pipelines do, so running it proves the platform's ports and NetworkPolicies, not only that Spark
starts.

* a broadcast join (orders x customers): executors fetch the broadcast from the driver's block
  manager (TorrentBroadcast);
* a shuffle join and a groupBy (orders x regions, sum per region): executors fetch shuffle blocks
  from each other's block managers;
* a result of several MiB collected to the driver: task results over 1 MiB are fetched from the
  executors' block managers (IndirectTaskResult);
* the totals are checked against a plain-Python computation, so a wrong answer fails the app.

Usage: orders_report.py [--orders N] [--customers N] [--regions N] [--mode ok|raise|oom-driver]

--mode raise fails after the work is done (RuntimeError, exit 1); --mode oom-driver makes the
driver's Python process allocate memory until the container's limit kills it (OOMKilled). Both
exist so the platform's failure reporting can be tried from the Airflow UI.
"""

import argparse
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="orders_report.py", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000, help="number of generated orders (default 200000)")
    parser.add_argument("--customers", type=int, default=1_000, help="number of customers (default 1000)")
    parser.add_argument("--regions", type=int, default=8, help="number of regions (default 8)")
    parser.add_argument("--mode", choices=["ok", "raise", "oom-driver"], default="ok", help="ok (default), raise or oom-driver")
    parser.add_argument(
        "--pause-seconds", type=int, default=0,
        help="pause between the report's two stages, executors held (to watch the app in its UI, or to restart the cluster under it)",
    )
    args = parser.parse_args(argv)
    if min(args.orders, args.customers, args.regions) < 1:
        parser.error("--orders, --customers and --regions must be at least 1")
    if not 0 <= args.pause_seconds <= 3600:
        parser.error("--pause-seconds must be in 0-3600")
    return args


def expected_revenue(orders, customers, regions):
    """Revenue per region as the app defines it, computed without Spark."""
    totals = [0] * regions
    for i in range(orders):
        totals[(i % customers) % regions] += i % 100 + 1
    return {region: total for region, total in enumerate(totals) if total}


def exhaust_driver_memory():
    """Allocates (and touches) 64 MiB blocks until the kernel kills the container."""
    print("orders_report: allocating driver memory until the container limit is reached (--mode oom-driver)", flush=True)
    blocks = []
    while True:
        blocks.append(b"x" * (64 << 20))
        print(f"orders_report: holding {len(blocks) * 64} MiB", flush=True)


def main(argv):
    args = parse_args(argv)
    spark = SparkSession.builder.appName("orders-report").getOrCreate()
    try:
        # Force the shuffle join: the small regions table would otherwise be broadcast too.
        spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
        orders = spark.range(0, args.orders, numPartitions=4).select(
            F.col("id").alias("order_id"),
            (F.col("id") % args.customers).alias("customer_id"),
            (F.col("id") % 100 + 1).alias("amount"),
        )
        customers = spark.range(0, args.customers).select(
            F.col("id").alias("customer_id"), (F.col("id") % args.regions).alias("region_id")
        )
        regions = spark.range(0, args.regions).select(
            F.col("id").alias("region_id"), F.concat(F.lit("region-"), F.col("id")).alias("region")
        )
        enriched = orders.join(F.broadcast(customers), "customer_id").join(regions, "region_id")
        revenue = {
            row["region_id"]: row["revenue"]
            for row in enriched.groupBy("region_id", "region").agg(F.sum("amount").alias("revenue")).collect()
        }
        expected = expected_revenue(args.orders, args.customers, args.regions)
        if revenue != expected:
            raise RuntimeError(f"orders_report: wrong revenue per region: got {revenue}, expected {expected}")
        if args.pause_seconds:
            print(f"orders_report: revenue checked, pausing {args.pause_seconds} s (--pause-seconds)", flush=True)
            time.sleep(args.pause_seconds)

        # Several MiB in two task results: each is over spark.task.maxDirectResultSize (1 MiB).
        detail = enriched.repartition(2).select("order_id", F.concat(F.col("region"), F.lit(":"), F.col("amount")).alias("line")).collect()
        if len(detail) != args.orders:
            raise RuntimeError(f"orders_report: collected {len(detail)} order lines, expected {args.orders}")

        total = sum(revenue.values())
        print(
            f"orders_report: orders={args.orders} regions={len(revenue)} revenue={total} "
            f"lines={len(detail)} check=ok",
            flush=True,
        )
        if args.mode == "raise":
            raise RuntimeError("orders_report: failing on purpose (--mode raise)")
        if args.mode == "oom-driver":
            exhaust_driver_memory()
        return 0
    finally:
        if args.mode != "oom-driver":
            spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
