#!/bin/bash -eu
# ClusterFuzzLite runs $SRC/build.sh: the same build as OSS-Fuzz's (scripts/oss-fuzz/build.sh).
exec "$SRC/slabtorture/scripts/oss-fuzz/build.sh"
