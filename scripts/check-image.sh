#!/usr/bin/env bash
# Post-link checks on rhenium.elf that the compiler cannot do for us:
# the image must be relocatable by entry.S alone (only R_AARCH64_RELATIVE;
# R_AARCH64_NONE is what --gc-sections leaves behind and entry.S skips),
# and no loadable segment may be both writable and executable.
set -euo pipefail
elf=$1
readelf=${CROSS_COMPILE:-aarch64-linux-gnu-}readelf

bad_relocs=$("$readelf" -rW "$elf" | awk '/^[0-9a-f]+ +[0-9a-f]+ R_AARCH64_/ && $3 != "R_AARCH64_RELATIVE" && $3 != "R_AARCH64_NONE"')
if [[ -n $bad_relocs ]]; then
	echo "check-image: $elf has relocations entry.S cannot apply:" >&2
	echo "$bad_relocs" >&2
	exit 1
fi
if "$readelf" -lW "$elf" | awk '$1 == "LOAD" && $7 ~ /W/ && $7 ~ /E/ { found = 1 } END { exit !found }'; then
	echo "check-image: $elf has a writable and executable segment" >&2
	exit 1
fi
