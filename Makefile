# flowfleet: top-level build.
#
#   make            build everything into build/bin (needs the packages; see make deps)
#   make test       install missing packages, build, check exported names (make check-exports),
#                   run unit (plain + ASan/UBSan) and integration tests
#   make demo       install missing packages, build, run the fleet on the embedded default
#   make bench      install missing packages, build, run the benchmarks
#   make conformance [JOLT_CORPUS=..] [EL_CORPUS=..]   run the upstream corpora
#   make fuzz       build and briefly run the libFuzzer targets
#
# Layout is discovered, not listed: common/*.c and flowtypes/*/*.c are the
# fleet's library; each engines/<name>/ is a library of its own (it sees only
# the basic types of common/: strbuf, attrs, jsontext, xalloc); testlib/ is
# the simulators' and the tests' HTTP server helper, never linked into a
# service; every directory under services/ and tools/ is one program;
# tests/unit/test_*.c one test binary each; bench/*.c and fuzz/fuzz_*.c likewise.

PKG_CONFIG ?= /usr/bin/pkg-config
# Debian's own .pc files only: a python on PATH (pyenv, venv) must not win.
PKGCONF = PKG_CONFIG_PATH= $(PKG_CONFIG)
PKGS = rdkafka libcurl msgpack jansson hiredis python3-embed libmicrohttpd libxml-2.0 libpcre2-8

CC ?= cc
FUZZ_CC ?= clang
OPT ?= -O2
WARN = -Wall -Wextra -Werror
ENGINES = $(notdir $(wildcard engines/*))
INCLUDES = -iquote common -iquote flowtypes $(foreach e,$(ENGINES),-iquote engines/$(e)) -iquote testlib
BASE_CFLAGS = -std=gnu11 -g $(WARN) -D_GNU_SOURCE $(INCLUDES) -MMD -MP
PKG_CFLAGS = $(shell $(PKGCONF) --cflags $(PKGS))
# --as-needed: a binary depends only on the libraries it uses (libxml2 only
# where XML is read, libmicrohttpd only where HTTP is served).
PKG_LIBS = -Wl,--as-needed $(shell $(PKGCONF) --libs $(PKGS)) -lpthread -lm
CFLAGS = $(BASE_CFLAGS) $(OPT) $(PKG_CFLAGS)
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_CFLAGS = $(BASE_CFLAGS) -O1 $(SAN) $(PKG_CFLAGS)

B = build
COMMON_SRC = $(wildcard common/*.c) $(wildcard flowtypes/*.c) $(wildcard flowtypes/*/*.c)
ENGINE_SRC = $(wildcard engines/*/*.c)
TESTLIB_SRC = $(wildcard testlib/*.c)
ALL_LIB_SRC = $(COMMON_SRC) $(ENGINE_SRC) $(TESTLIB_SRC)
# One archive per library; programs and tests link them all (a group, so
# their order does not matter); services use nothing of testlib.
LIB_NAMES = flowfleet $(addprefix ff_,$(ENGINES)) ff_testlib
lib_src = $(if $(filter flowfleet,$(1)),$(COMMON_SRC),$(if $(filter ff_testlib,$(1)),$(TESTLIB_SRC),$(wildcard engines/$(patsubst ff_%,%,$(1))/*.c)))
LIB = $(foreach l,$(LIB_NAMES),$(B)/lib/lib$(l).a)
ASAN_LIB = $(foreach l,$(LIB_NAMES),$(B)/asan/lib/lib$(l).a)
LINK_LIBS = -Wl,--start-group $(1) -Wl,--end-group

# services/X -> flowfleet-X ; tools/devbroker -> flowfleet-devbroker ; tools/X -> X
SERVICE_DIRS = $(wildcard services/*)
TOOL_DIRS = $(wildcard tools/*)
progname = $(if $(filter services/%,$(1)),flowfleet-$(notdir $(1)),$(if $(filter tools/devbroker,$(1)),flowfleet-devbroker,$(notdir $(1))))
PROG_DIRS = $(SERVICE_DIRS) $(TOOL_DIRS)
PROGS = $(foreach d,$(PROG_DIRS),$(B)/bin/$(call progname,$(d)))

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/test/%)
ASAN_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/asan/%)
BENCH_SRC = $(wildcard bench/*.c)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(B)/bin/bench-%)
FUZZ_SRC = $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN = $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%)

.SECONDARY:
.PHONY: conformance-check all deps test test-run unit demo bench bench-run conformance conformance-run fuzz fuzz-run clean
all: $(PROGS) $(BENCH_BIN)

deps:
	@sh scripts/install-deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The Jolt engine and the JSON reader and writer are a mapping step's hot
# loops: built with -O3 they run 5-7% faster than with -O2 (bench-jolt;
# docs/benchmarks.md).
HOT_OBJ = $(patsubst %.c,$(B)/obj/%.o,$(wildcard engines/jolt/*.c) common/jsontext.c)
$(HOT_OBJ): OPT = -O3

$(B)/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

define LIB_RULE
$(B)/lib/lib$(1).a: $(patsubst %.c,$(B)/obj/%.o,$(call lib_src,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
$(B)/asan/lib/lib$(1).a: $(patsubst %.c,$(B)/asan/obj/%.o,$(call lib_src,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach l,$(LIB_NAMES),$(eval $(call LIB_RULE,$(l))))

define PROG_RULE
$(B)/bin/$(call progname,$(1)): $(patsubst %.c,$(B)/obj/%.o,$(wildcard $(1)/*.c)) $(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -o $$@ $$(call LINK_LIBS,$$^) $$(PKG_LIBS)
endef
$(foreach d,$(PROG_DIRS),$(eval $(call PROG_RULE,$(d))))

$(B)/bin/bench-%: $(B)/obj/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(call LINK_LIBS,$^) $(PKG_LIBS)

$(B)/test/%: $(B)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(call LINK_LIBS,$^) $(PKG_LIBS)

$(B)/asan/%: $(B)/asan/obj/tests/unit/%.o $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -o $@ $(call LINK_LIBS,$^) $(PKG_LIBS)

$(B)/fuzz/%: fuzz/%.c $(ALL_LIB_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE_CFLAGS) -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -o $@ $< $(ALL_LIB_SRC) $(PKG_LIBS)

unit: $(UNIT_BIN) $(ASAN_BIN)

test: deps
	@$(MAKE) --no-print-directory test-run

test-run: all unit
	@sh scripts/check-exports.sh $(B)/lib
	@sh scripts/run-tests.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory bench-run

bench-run: all
	@sh scripts/bench.sh

JOLT_CORPUS ?= ../shared/conformance/jolt
EL_CORPUS ?= ../shared/conformance/nifi-el
conformance: deps
	@$(MAKE) --no-print-directory conformance-run

conformance-run: all
	@sh scripts/conformance.sh "$(JOLT_CORPUS)" "$(EL_CORPUS)"

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-run

fuzz-run: $(FUZZ_BIN)
	@sh scripts/fuzz.sh $(FUZZ_BIN)

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Prints the compile and link flags, for building one file by hand.
flags:
	@echo "CFLAGS: $(CFLAGS)"
	@echo "LIBS: $(PKG_LIBS)"

# CI: the corpora beside the checkout must not pass fewer cases than recorded.
conformance-check: all
	@sh scripts/conformance.sh "$(JOLT_CORPUS)" "$(EL_CORPUS)" --check

# ---- engines: generated sources and the export check ----
# engines/python/nifi_shim.py (the NiFi/Jython shim) is built into
# libff_python as the C array pyscript_nifi_source: embed.sh writes it as a
# C file under $(B)/gen/ (named pyscript_nifi.c: its object's name gives the
# module prefix check-exports expects), whose object joins the archive (plain
# and ASan) and the fuzz targets' sources. Touching the .py rebuilds it.
PY_SHIM_C = $(B)/gen/engines/python/pyscript_nifi.c
ALL_LIB_SRC += $(PY_SHIM_C)
$(PY_SHIM_C): engines/python/nifi_shim.py engines/python/embed.sh
	@mkdir -p $(dir $@)
	sh engines/python/embed.sh pyscript_nifi_source $< > $@.tmp && mv $@.tmp $@
$(B)/obj/gen/engines/python/pyscript_nifi.o: $(PY_SHIM_C)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/asan/obj/gen/engines/python/pyscript_nifi.o: $(PY_SHIM_C)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -c $< -o $@
$(B)/lib/libff_python.a: $(B)/obj/gen/engines/python/pyscript_nifi.o
$(B)/asan/lib/libff_python.a: $(B)/asan/obj/gen/engines/python/pyscript_nifi.o
$(FUZZ_BIN): $(PY_SHIM_C)

# Every global symbol of every archive starts with its module's prefix.
.PHONY: check-exports
check-exports: all
	@sh scripts/check-exports.sh $(B)/lib
