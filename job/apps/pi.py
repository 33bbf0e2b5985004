"""Estimates pi with Spark (the classic Monte Carlo example), for runtime tests of the job image.

Usage: pi.py [--partitions N] [--samples-per-partition N] [--fail]

--fail makes the application fail on purpose, after Spark has started, with a clear error
and exit code 3, so tests can check that failures surface as failures.
"""

import argparse
import random
import sys
from operator import add

from pyspark.sql import SparkSession


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="pi.py", description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=2, help="number of partitions (default 2)")
    parser.add_argument("--samples-per-partition", type=int, default=100_000, help="samples per partition (default 100000)")
    parser.add_argument("--fail", action="store_true", help="fail on purpose with exit code 3")
    args = parser.parse_args(argv)
    if args.partitions < 1 or args.samples_per_partition < 1:
        parser.error("--partitions and --samples-per-partition must be at least 1")
    return args


def inside(_):
    x, y = random.random() * 2 - 1, random.random() * 2 - 1
    return 1 if x * x + y * y <= 1 else 0


def main(argv):
    args = parse_args(argv)
    spark = SparkSession.builder.appName("spark-job pi").getOrCreate()
    try:
        if args.fail:
            print("pi.py: failing on purpose because --fail was given", file=sys.stderr, flush=True)
            return 3
        n = args.partitions * args.samples_per_partition
        count = spark.sparkContext.parallelize(range(n), args.partitions).map(inside).reduce(add)
        print(f"Pi is roughly {4.0 * count / n:.5f}", flush=True)
        return 0
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
