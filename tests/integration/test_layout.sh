#!/bin/sh
# test_layout: the structure users and reviewers rely on, checked on the
# built tree.
#  - common/ names no flow type: a type lives in flowtypes/<type>/ and is
#    reached through the registry;
#  - the services link nothing of testlib/ (the simulators' HTTP server), and
#    libxml2 only where XML is read (the ERP reads of the flow types, through
#    the registry: the services; not the simulators of Omnitron);
#  - every flow type's settings table in docs/flows.md is the one the
#    loader uses (flowctl settings TYPE).
. "$(dirname "$0")/lib.sh"
cd "$FF_ROOT" || exit 1

check "common/ names no flow type" [ -z "$(git grep -n '"order"' -- common/ 2>/dev/null)" ]
for s in scheduler reader transformer writer; do
    b=$BIN/flowfleet-$s
    check "$s links nothing of testlib" [ -z "$(nm "$b" | grep -w 'T simhttp_[a-z_]*')" ]
done
check "omnitron-sim does not depend on libxml2 (--as-needed: only users link it)" \
    [ -z "$(readelf -d "$BIN/omnitron-sim" | grep NEEDED | grep libxml2)" ]
# every registered type has a folder with a README, and a settings table in the docs
for t in $("$BIN/flowctl" settings nosuchtype 2>&1 | sed -n 's/.*(types: \(.*\))/\1/p' | tr -d ','); do
    check "flowtypes/$t/README.md exists" [ -f "flowtypes/$t/README.md" ]
    doc=$(sed -n "/<!-- settings:$t -->/,/<!-- \/settings:$t -->/p" docs/flows.md | sed '1d;$d')
    check "docs/flows.md has the $t settings table flowctl prints" [ "$doc" = "$("$BIN/flowctl" settings "$t")" ]
done
ff_done
