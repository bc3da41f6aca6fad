#!/bin/sh
# Rebuilds words.txt from Debian's wamerican package (SCOWL's American
# English list, /usr/share/dict/american-english): words of 2 to 15
# lower-case letters a-z only (no capitals, so no proper nouns; no
# apostrophes, accents or digits), at least one vowel (a e i o u y, which
# drops abbreviations such as "cc", "ft" and "kg"), sorted bytewise,
# one per line. Run it from this folder after `apt-get install wamerican`.
set -eu
src=${1:-/usr/share/dict/american-english}
grep -E '^[a-z]{2,15}$' "$src" | grep -E '[aeiouy]' | LC_ALL=C sort -u > words.txt
wc -l words.txt
