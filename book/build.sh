#!/usr/bin/env bash
# Strict, cold build of the fsltheory book: what CI runs after the tests.
#
#   bash book/build.sh                      # build book/ into book/_build/html, then check rendering
#   bash book/build.sh --no-render-check    # build only (no Chromium needed)
#   bash book/build.sh [--no-render-check] DIR   # the same for another book folder (used by tests)
#
# The build starts from an empty _build (CI runs on a clean clone, so the cold build is the
# one that must stay inside the time budget).  `-W -n --keep-going` turns every warning,
# broken reference and failing cell (an `assert` included) into a non-zero exit status.
# The render check opens the built pages in headless Chromium (book/check_render.py).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
render_check=1
book="$here"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --no-render-check) render_check=0 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) book="$(cd "$1" && pwd)" ;;
    esac
    shift
done

# The kernels must draw with the inline backend: an inherited MPLBACKEND=Agg (as .ci/run
# exports for the tests) would make every figure cell silently show nothing.
export MPLBACKEND="module://matplotlib_inline.backend_inline"
rm -rf "$book/_build"
start=$(date +%s)
jupyter-book build "$book" -W -n --keep-going
echo "book: strict build of $book took $(( $(date +%s) - start )) s"

if [[ $render_check -eq 1 ]]; then
    python "$here/check_render.py" --html "$book/_build/html"
fi
