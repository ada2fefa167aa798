#!/bin/sh
# test_check_exports: scripts/check-exports.sh against archives built here
# from tiny C files (a clean one, then ones with a symbol outside its
# module's prefix), and against the engines' own archives in build/lib.
. "$(dirname "$0")/lib.sh"

CHK="sh $FF_ROOT/scripts/check-exports.sh"
W=$FF_TMP/exports
mkdir -p "$W/good" "$W/bad" "$W/ticks" "$W/empty" "$W/src"

# archive DIR NAME FILE...: compiles each FILE.c of $W/src into FILE.o and
# puts them in DIR/libNAME.a.
archive() {
    d=$1; name=$2; shift 2
    for f in "$@"; do cc -c "$W/src/$f.c" -o "$W/src/$f.o" || return 1; done
    (cd "$W/src" && ar rcs "$W/$d/lib$name.a" $(for f in "$@"; do echo "$f.o"; done))
}

cat >"$W/src/widget_io.c" <<'EOF'
int widget_count;
const int WIDGET_MAX = 8;
static int helper(int x) { return x + 1; }
int widget_read(int x) { return helper(x); }
EOF
cat >"$W/src/xalloc.c" <<'EOF'
#include <stdlib.h>
void *xmalloc(size_t n) { void *p = malloc(n); if (!p) abort(); return p; }
EOF
cat >"$W/src/gadget.c" <<'EOF'
int gadget_open(void) { return 0; }
int now_ms(void) { return 1; }
EOF
cat >"$W/src/ticks.c" <<'EOF'
int ticks_next(void) { return 0; }
int sched_step(void) { return 1; }
EOF

archive good ffgood widget_io xalloc
archive bad ffgood widget_io xalloc
archive bad ffbad gadget
archive ticks flowfleet ticks

out=$($CHK "$W/good" 2>&1); rc=$?
check "clean archive passes" [ "$rc" -eq 0 ]
check "clean archive: prefix, upper-case constant and the x alias count" \
    sh -c 'printf "%s\n" "$1" | grep -q "^check-exports: 1 archives, 4 global symbols, 0 outside"' _ "$out"

out=$($CHK "$W/bad" 2>&1); rc=$?
check "a symbol outside its module fails" [ "$rc" -eq 1 ]
check "the offender is named as file.o: symbol" \
    sh -c 'printf "%s\n" "$1" | grep -qx "gadget.o: now_ms"' _ "$out"
check "only the offender is listed" \
    sh -c 'printf "%s\n" "$1" | grep -c "\.o: " | grep -qx 1' _ "$out"
check "the count line counts it" \
    sh -c 'printf "%s\n" "$1" | tail -n 1 | grep -q "^check-exports: 2 archives, 6 global symbols, 1 outside"' _ "$out"

out=$($CHK "$W/ticks" 2>&1); rc=$?
check "ticks.o has no sched_ alias" [ "$rc" -eq 1 ]
check "sched_step is listed" sh -c 'printf "%s\n" "$1" | grep -qx "ticks.o: sched_step"' _ "$out"

$CHK "$W/empty" >/dev/null 2>&1; rc=$?
check "a directory without archives is an error, not a pass" [ "$rc" -eq 2 ]

# The engines and the test library: only el_, jolt_, pyscript_, simhttp_...
# names leave them.
mkdir -p "$W/engines"
cp "$FF_ROOT"/build/lib/libff_*.a "$W/engines/" 2>/dev/null
if ls "$W/engines"/libff_*.a >/dev/null 2>&1; then
    out=$($CHK "$W/engines" 2>&1); rc=$?
    [ "$rc" -eq 0 ] || printf '%s\n' "$out"
    check "engine and testlib archives export only prefixed names" [ "$rc" -eq 0 ]
else
    check "engine archives are built (make all)" false
fi

ff_done
