# Build of the API verification system.
#
#   make            bin/api-issuer, bin/api-verifier, bin/api-federation
#   make test       installs what is missing, builds, runs every test (also under ASan/UBSan)
#   make demo       installs what is missing, builds, runs the demo federation
#   make asan       the sanitizer build, in build/asan/bin
#   make fuzz       the libFuzzer targets, run for FUZZ_SECONDS each (default 300)
#   make bench      the benchmarks
#   make vectors    docs/vectors/*.json written again by their generators (tests/vectors/)
#   make check-layers  every include line against the map of docs/architecture.md
#   make lint       cppcheck and clang-format --dry-run over the C code (scripts/lint.sh)
#   make deps       installs the Debian packages (with sudo when not root)
#   make deb        the Debian packages api-verifier, api-issuer, api-federation in build/deb/
#   V=1             shows the full compiler commands
#
# Every .c file of the layers outside a main.c goes into one static library;
# each tool is its main.c linked with it. Tests link the same library. There
# is one include root, the top folder: include lines name their folder
# ("qr/cose.h"), so that a crossing of layers shows.

CC      ?= cc
ifeq ($(origin CC),default)
CC      := gcc
endif
BUILD   ?= build/release
BINDIR  ?= bin
PKGS    := libsodium libqrencode libpng zlib libcbor libcjson zbar lmdb libjpeg cairo pangocairo
OPT     ?= -O2
CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
               -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
               -Wmissing-prototypes -Wformat=2 -fno-common -g $(OPT) \
               -I.
CFLAGS  += $(CFLAGS_BASE) $(SAN)
LDFLAGS += $(SAN)
# The PKCS#11 header (common/p11.c): p11-kit's pkcs11.h only; the module is loaded with dlopen, nothing linked.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) p11-kit-1 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LIBS    := $(PKG_LIBS) -lcivetweb -lanl -lpthread -ldl -lm
# zxing-cpp (verifier/zxread.cpp, the one C++ file): its library and the C++ runtime, linked after ours.
# CXXSAN: sanitizer options of the C++ file alone (the fuzz targets, linked by the C driver, leave out
# the two UBSan checks whose runtime is C++'s).
CXX     ?= g++
ifeq ($(origin CXX),default)
CXX     := g++
endif
CXXFLAGS_BASE := -std=c++17 -DZX_USE_UTF8 -Wall -Wextra -Werror -Wshadow -Wformat=2 -fno-common -g $(OPT) -I.
CXXFLAGS += $(CXXFLAGS_BASE) $(SAN) $(CXXSAN)
LIBS    += -lZXing -lstdc++

# The layers, bottom first (docs/architecture.md; make check-layers keeps the include lines to them).
LAYERS  := common qr http issuer federation verifier verifier/service
LIB_SRC := $(filter-out %/main.c,$(foreach d,$(LAYERS),$(wildcard $(d)/*.c)))
LIB_CXX_SRC := verifier/zxread.cpp
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(LIB_CXX_SRC:%.cpp=$(BUILD)/obj/%.o)
LIB_A   := $(BUILD)/libapi.a
TOOLS   := api-issuer api-verifier api-federation
TOOL_BINS := $(TOOLS:%=$(BINDIR)/%)
# Where an installed api-verifier finds its renderer and its web pages when no option names them
# (the Debian packages set both: debian/rules). Empty, as here: api-pdfrender beside the program,
# and web pages only with --web-root. PDFRENDER_EXTRA: more flags for the renderer (hardening).
PDFRENDER_DEFAULT ?=
WEB_ROOT_DEFAULT ?=
PDFRENDER_EXTRA ?=
# The PDF renderer api-verifier runs in a child process (verifier/pdfrender/): its own small program.
PDFRENDER := $(BINDIR)/api-pdfrender
PDFRENDER_PKGS := poppler-glib cairo libseccomp
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_SUPPORT := $(filter-out tests/unit/test_%.c,$(wildcard tests/unit/*.c))
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/obj/%.o)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: deb all deps check-deps test unit asan fuzz fuzz-build bench demo clean tests-build soak web check-layers lint vectors
.DEFAULT_GOAL := all

all: check-deps $(TOOL_BINS) $(PDFRENDER) web

# The web pages (web/): bundled from npm packages pinned by web/package-lock.json.
ifneq ($(and $(wildcard web/package.json),$(wildcard web/build.mjs)),)
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/package.json web/package-lock.json \
           $(wildcard web/build.mjs)
web/dist/.built: $(WEB_SRC)
	@echo "  WEB   web/dist"
	$(Q)cd web && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || \
	   npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build
	$(Q)touch $@
web: web/dist/.built
else
web:
endif

check-deps:
	@scripts/deps.sh check build

check-layers:
	@python3 scripts/check-layers.py

lint:
	@scripts/deps.sh install test
	@scripts/lint.sh

deps:
	@scripts/deps.sh install all

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX   $<"
	$(Q)$(CXX) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

ifneq ($(PDFRENDER_DEFAULT)$(WEB_ROOT_DEFAULT),)
$(BUILD)/obj/verifier/main.o: CFLAGS += -DAPI_PDFRENDER_DEFAULT='"$(PDFRENDER_DEFAULT)"' \
                                        -DAPI_WEB_ROOT_DEFAULT='"$(WEB_ROOT_DEFAULT)"'
endif

$(BINDIR)/api-issuer: $(BUILD)/obj/issuer/main.o $(LIB_A)
$(BINDIR)/api-verifier: $(BUILD)/obj/verifier/main.o $(LIB_A)
$(BINDIR)/api-federation: $(BUILD)/obj/federation/main.o $(LIB_A)
$(TOOL_BINS):
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

# The renderer is built without $(SAN), even in `make asan`: the sanitizers reserve terabytes of
# address space, which its RLIMIT_AS forbids (the sanitizer builds of api-verifier still drive it).
# It links no library of the project, only common/bytes.c; the packages' headers are system headers.
PDFRENDER_SRC := verifier/pdfrender/main.c common/bytes.c
$(PDFRENDER): $(PDFRENDER_SRC) verifier/pdfframe.h common/bytes.h
	@mkdir -p $(dir $@)
	@echo "  LD    $@ (without sanitizers)"
	$(Q)$(CC) $(CFLAGS_BASE) $(PDFRENDER_EXTRA) $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PDFRENDER_PKGS) 2>/dev/null)) \
	  $(PDFRENDER_SRC) $(shell pkg-config --libs $(PDFRENDER_PKGS) 2>/dev/null) -lm -o $@

$(BUILD)/tests/%: tests/unit/%.c $(TEST_SUPPORT_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	@echo "  TEST  $@"
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $^ $(LIBS) -lcmocka $(LDFLAGS) -o $@

$(BUILD)/bench/%: tests/bench/%.c $(LIB_A)
	@mkdir -p $(dir $@)
	@echo "  BENCH $@"
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $^ $(LIBS) $(LDFLAGS) -o $@

# The published test vectors (docs/vectors/): each file is written by a program of its own,
# tests/vectors/gen_*.c. test_vectors and test_bundle_vectors check the committed files and run
# the programs (built with them) to see that they still write those files byte for byte;
# `make vectors` writes the files again.
VECTOR_GENS := $(BUILD)/vectors/gen_attestations $(BUILD)/vectors/gen_bundle $(BUILD)/vectors/gen_receipts

$(BUILD)/vectors/%: tests/vectors/%.c $(TEST_SUPPORT_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	@echo "  GEN   $@"
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $^ $(LIBS) $(LDFLAGS) -o $@

$(BUILD)/tests/test_vectors: | $(BUILD)/vectors/gen_attestations
$(BUILD)/tests/test_bundle_vectors: | $(BUILD)/vectors/gen_bundle
$(BUILD)/tests/test_receipt: | $(BUILD)/vectors/gen_receipts

vectors: check-deps $(VECTOR_GENS)
	$(BUILD)/vectors/gen_attestations docs/vectors/attestations.json
	$(BUILD)/vectors/gen_bundle docs/vectors/bundle.json
	$(BUILD)/vectors/gen_receipts docs/vectors/receipts.json

tests-build: all $(UNIT_BINS)

# The sanitizer build: same sources, its own object tree and binaries.
asan:
	@$(MAKE) --no-print-directory BUILD=build/asan BINDIR=build/asan/bin OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" tests-build

# libFuzzer targets (clang): each links the library sources built with the fuzzer flags.
FUZZ_CFLAGS := $(CFLAGS_BASE) -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
fuzz-build:
	@$(MAKE) --no-print-directory CC=clang CXX=clang++ CXXSAN=-fno-sanitize=function,vptr BUILD=build/fuzzlib BINDIR=build/fuzzlib/bin OPT=-O1 \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" build/fuzzlib/libapi.a
	@mkdir -p build/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "  FUZZ $$n"; \
	  clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -fsanitize=fuzzer $$f build/fuzzlib/libapi.a $(LIBS) -o build/fuzz/$$n || exit 1; \
	done

FUZZ_SECONDS ?= 300
fuzz:
	@scripts/deps.sh install test
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

test:
	@scripts/deps.sh install test
	@tests/run.sh

unit: tests-build
	@tests/run.sh --unit-only

bench:
	@scripts/deps.sh install test
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@tests/bench/run.sh $(BUILD)

demo:
	@scripts/deps.sh install demo
	@$(MAKE) --no-print-directory all
	@demo/run.sh

soak:
	@scripts/deps.sh install test
	@$(MAKE) --no-print-directory tests-build
	@SOAK=1 tests/run.sh

# The Debian packages (debian/, debhelper): the programs compiled once, in build/deb/obj, with
# Debian's hardening flags and the installed paths (debian/rules); the .deb files in build/deb/.
# debhelper stages under debian/; that is removed at the end, so the tree is left as it was.
DEB_STAGING := debian/.debhelper debian/tmp debian/api-verifier debian/api-issuer debian/api-federation \
               debian/files debian/debhelper-build-stamp
deb: check-deps web
	@rm -rf build/deb/*.deb $(DEB_STAGING)
	@mkdir -p build/deb
	@echo "  DEB   build/deb/ (debian/rules binary)"
	$(Q)debian/rules binary >build/deb.log 2>&1 || { tail -40 build/deb.log; rm -rf $(DEB_STAGING); exit 1; }
	$(Q)rm -rf $(DEB_STAGING) debian/*.substvars debian/*.debhelper debian/*.debhelper.log
	@ls -1 build/deb/*.deb

clean:
	rm -rf build bin web/dist

-include $(shell find build -name '*.d' 2>/dev/null)
