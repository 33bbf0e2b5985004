#!/usr/bin/env bash
# Resolves the object-store connector of the job image (job/connectors/pom.xml: Hadoop's S3A and
# the AWS SDK v2 modules it needs) from Maven Central, checksums enforced, into job/connectors/jars/,
# which job/Dockerfile copies into /opt/spark/jars. Maven's local repository is
# ~/.cache/spark-airflow-k8s/m2 (SPARK_AIRFLOW_CACHE overrides the cache). Idempotent: a second run
# copies from the local repository. Needs Apache Maven (`mvn`) and a JDK.
#   job/scripts/fetch-connectors.sh        (npm run connectors -w job)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SPARK_AIRFLOW_CACHE:-$HOME/.cache/spark-airflow-k8s}"
out="$here/connectors/jars"
command -v mvn >/dev/null || { echo "fetch-connectors: Apache Maven (mvn) is missing: install it (Debian: apt-get install maven)" >&2; exit 1; }

rm -rf "$out.tmp"
# -C: fail on a checksum mismatch instead of warning; -o after the first run would skip the
# network, but plain runs are fast enough (the dependency plugin only checks the local repository).
mvn -B -q -C -Dmaven.repo.local="$cache/m2" -f "$here/connectors/pom.xml" \
  -Dconnectors.out="$out.tmp" dependency:copy-dependencies >&2
count="$(find "$out.tmp" -name '*.jar' | wc -l)"
[[ "$count" -gt 0 ]] || { echo "fetch-connectors: Maven resolved no jar into $out.tmp" >&2; exit 1; }
rm -rf "$out"
mv "$out.tmp" "$out"
echo "fetch-connectors: $count jars, $(du -sm "$out" | cut -f1) MiB in $out" >&2
