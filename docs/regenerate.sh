#!/usr/bin/env bash
# Regenerate the sample report screenshots in docs/ from a real recording of the local lab:
# start a lab, record the built-in `lesson` scenario under both policies, draw the report and
# the comparison, screenshot them, stop the lab. Needs the control plane built
# (`stswatch lab build`), the test extras (playwright) and Debian's chromium. Uses the checkout's
# .venv (README) unless STSWATCH and PYTHON say otherwise. Run from the repository root:
#
#     bash docs/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv_bin=$PWD/.venv/bin
bin=${STSWATCH:-$([ -x "$venv_bin/stswatch" ] && echo "$venv_bin/stswatch" || echo stswatch)}
python=${PYTHON:-$([ -x "$venv_bin/python" ] && echo "$venv_bin/python" || echo python3)}
work=$(mktemp -d /tmp/stswatch-docs.XXXXXX)
trap '"$bin" lab down --dir "$work/lab" >/dev/null 2>&1 || true' EXIT

"$bin" lab up --dir "$work/lab"
"$bin" scenario run lesson --policy both --session lesson \
    --kubeconfig "$work/lab/kubeconfig" --db "$work/lesson.db" -o "$work/out"
"$bin" report lesson-orderedready --db "$work/lesson.db" -o "$work/lesson-orderedready.html"
"$bin" compare lesson-orderedready lesson-parallel --db "$work/lesson.db" -o "$work/compare.html"
"$bin" report lesson-orderedready --db "$work/lesson.db" --text > docs/report.txt

# The report with the recreated redis-0 clicked: the change that made it Ready, with its diff.
"$python" -m docs.screenshot "$work/lesson-orderedready.html" docs/report.png \
    --click 'g[data-lane="pod/redis-0"] rect.seg.s-ready >> nth=1'
"$python" -m docs.screenshot "$work/compare.html" docs/compare.png --height 1400

# A large report: the 10,000-pod synthetic session of bench/report.py, filtered, a Ready segment
# clicked (no lab needed; the bench also prints its figures).
"$python" -m bench.report --pods 10000 --keep "$work/bench"
"$python" -m docs.screenshot "$work/bench/bench-10000.html" docs/report-10k.png \
    --fill '#flt-from0=4200' --fill '#flt-to0=4260' \
    --click 'g[data-lane="pod/redis-4210"] rect.seg.s-ready >> nth=1'
# stswatch serve following a session while it is written: the Chromium test's last screenshot.
STSWATCH_TEST_ARTIFACTS="$work/serve" "$python" -m pytest -q -p no:cacheprovider \
    tests/browser/test_serve_browser.py -k recorded_scale_up
cp "$work/serve/serve-live.png" docs/serve-live.png
echo "docs/report.png, docs/compare.png, docs/report-10k.png, docs/serve-live.png and" \
    "docs/report.txt regenerated;" \
    "recording in $work"
