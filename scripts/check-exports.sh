#!/bin/sh
# check-exports.sh [DIR]: every global symbol of our static libraries must
# start with its module's prefix (docs/conventions.md: "Public names are
# prefixed by the module").
#
# For each DIR/lib*.a (default build/lib: libflowfleet.a, libff_el.a,
# libff_jolt.a, libff_python.a, libff_testlib.a and any later libff_*.a) it
# lists the defined global symbols with `nm -g --defined-only` and checks
# each against the object file that defines it. The module is the object's
# name up to its first '_' (stage_read.o -> stage, el_fn_date.o -> el,
# retry.o -> retry) and the symbol must start with module + '_', compared
# without case (RETRY_DEFAULT in retry.o is fine). A few modules are allowed
# other prefixes as well: the ALIASES table below, each line with its reason.
#
# Prints each offender as "file.o: symbol" (under a "== lib.a" line per
# archive that has any), then a count line. Exit 0 when there are none, 1
# when there are, 2 when DIR holds no archive or nm fails.

# module  other allowed prefixes   (why)
ALIASES='
xalloc   x                         # xmalloc, xcalloc, xstrdup...: the usual names of abort-on-failure allocators
metrics  metric_                   # metric_ for one metric, metrics_ for the registry
'

dir=${1:-build/lib}
set -- "$dir"/lib*.a
if [ ! -f "$1" ]; then
    echo "check-exports: no lib*.a in $dir (build first: make all)" >&2
    exit 2
fi

aliases=$(printf '%s\n' "$ALIASES" | sed -e 's/#.*//' -e '/^ *$/d')
status=0
total=0
bad=0
for lib in "$@"; do
    syms=$(nm -g --defined-only "$lib") || { echo "check-exports: nm failed on $lib" >&2; exit 2; }
    # nm prints "obj.o:" before each member's symbols, then "VALUE TYPE NAME".
    res=$(printf '%s\n' "$syms" | awk -v aliases="$aliases" '
        BEGIN {
            n = split(aliases, lines, "\n")
            for (i = 1; i <= n; i++) {
                k = split(lines[i], f, " ")
                for (j = 2; j <= k; j++) extra[f[1]] = extra[f[1]] " " tolower(f[j])
            }
        }
        /^[^ ]+\.o:$/ {
            obj = substr($0, 1, length($0) - 1)
            mod = obj; sub(/\.o$/, "", mod); sub(/_.*/, "", mod)
            mod = tolower(mod)
            next
        }
        NF >= 3 {
            count++
            s = tolower($3)
            if (index(s, mod "_") == 1) next
            ok = 0
            k = split(extra[mod], p, " ")
            for (j = 1; j <= k; j++) if (index(s, p[j]) == 1) ok = 1
            if (!ok) { print obj ": " $3; nbad++ }
        }
        END { printf "#count %d %d\n", count, nbad }
    ')
    c=$(printf '%s\n' "$res" | sed -n 's/^#count \([0-9]*\) \([0-9]*\)$/\1/p')
    b=$(printf '%s\n' "$res" | sed -n 's/^#count \([0-9]*\) \([0-9]*\)$/\2/p')
    total=$((total + c))
    if [ "$b" -gt 0 ]; then
        echo "== $(basename "$lib")"
        printf '%s\n' "$res" | grep -v '^#count '
        bad=$((bad + b))
        status=1
    fi
done
echo "check-exports: $# archives, $total global symbols, $bad outside their module's prefix"
exit $status
