#!/bin/sh
# Fills fuzz/corpus/<target>/ with the seed inputs (the corpus itself is never committed):
#   text targets: every spec under specs/;
#   npy: every .npy file under specs/ and fuzz/seeds/npy/;
#   image: every picture under specs/;
#   jit_vs_interp: none (every byte string is a valid model; libFuzzer starts from nothing).
# Run from anywhere; existing corpus files are kept.
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz")
copy() { # copy TARGET FILE...
    target=$1
    shift
    mkdir -p "$fuzz/corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] || continue
        # Flattened names, so that files of the same name in different folders both stay.
        name=$(printf '%s' "${f#"$root"/}" | tr '/' '_')
        cp "$f" "$fuzz/corpus/$target/$name"
    done
}
specs=$(find "$root/specs" -type f \( -name '*.conv' -o -name '*.toml' \) | sort)
for t in parse_conv parse_toml convert_roundtrip; do
    # shellcheck disable=SC2086
    copy "$t" $specs
done
# shellcheck disable=SC2046
copy npy $(find "$root/specs" "$fuzz/seeds/npy" -type f -name '*.npy' 2>/dev/null | sort)
# shellcheck disable=SC2046
copy image $(find "$root/specs" "$fuzz/seeds/image" -type f \( -name '*.png' -o -name '*.jpg' -o -name '*.gif' -o -name '*.bmp' \) 2>/dev/null | sort)
mkdir -p "$fuzz/corpus/jit_vs_interp"
for t in parse_conv parse_toml convert_roundtrip npy image jit_vs_interp; do
    printf '%-18s %s seeds\n' "$t" "$(find "$fuzz/corpus/$t" -type f | wc -l)"
done
