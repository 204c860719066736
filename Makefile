# Makefile -- builds the one `aftershock` binary, its tests and benchmarks.
#
#   make            build ./aftershock
#   make deps       install the Debian packages the project needs (as root;
#                   otherwise prints the apt-get line)
#   make demo       deps + build + embedded PostgreSQL + bundled data + report
#   make test       deps + build + the whole test suite ("N passed, N failed")
#   make SAN=1 ...  the same with -fsanitize=address,undefined (build-san/)
#   make bench      the benchmarks in bench/
#
# Every .c file under common/ ingest/ analytics/ model/ reports/ goes into
# libaftershock.a; cli/*.c make the front end; tests/test_*.c each become one
# cmocka test program.  The CUDA core (model/cuda/*.cu) becomes a shared
# object loaded at run time, built when nvcc is present, unless CUDA=0.

CC      ?= gcc
PKGS    := libcurl jansson libpq xlsxwriter libxml-2.0 openblas lapacke
SAN     ?= 0
BUILD   := $(if $(filter 1,$(SAN)),build-san,build)

CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -I.
ifeq ($(SAN),1)
CFLAGS_OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS_SAN := -fsanitize=address,undefined
else
CFLAGS_OPT := -O2
LDFLAGS_SAN :=
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CFLAGS_BASE) $(CFLAGS_OPT) $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lm -lpthread
LDFLAGS += $(LDFLAGS_SAN)

# --- CUDA (optional) --------------------------------------------------------
# model/cuda/*.cu become $(BUILD)/libaftershock_cuda.so, which the program
# dlopen()s only for `--device cuda` (model/backend_cuda.c): the binary, the
# tests and SAN=1 never link CUDA.  CUDA=auto builds it when nvcc is found,
# CUDA=1 insists, CUDA=0 skips it.  sm_90 code plus compute_80 PTX, which
# the driver compiles for any later GPU.
NVCC    ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CUDA    ?= auto
CU_SRC  := $(wildcard model/cuda/*.cu)
CU_OBJ  := $(patsubst %.cu,$(BUILD)/obj/%.o,$(CU_SRC))
CUDA_HOME := $(patsubst %/bin/nvcc,%,$(NVCC))
ifeq ($(CUDA),auto)
CUDA_BUILD := $(if $(NVCC),1,0)
else
CUDA_BUILD := $(CUDA)
endif
ifeq ($(CUDA_BUILD)$(NVCC),1)
$(error CUDA=1 but no nvcc found (set NVCC=/path/to/nvcc))
endif
CUDA_SO := $(if $(and $(filter 1,$(CUDA_BUILD)),$(CU_SRC),$(filter-out 1,$(SAN))),$(BUILD)/libaftershock_cuda.so)
NVCCFLAGS ?= -O2 -I. -std=c++17 -gencode arch=compute_90,code=sm_90 \
             -gencode arch=compute_80,code=compute_80 \
             -Xcompiler -fPIC,-fvisibility=hidden,-Wall,-Wextra,-Werror -Werror all-warnings

# --- sources ----------------------------------------------------------------
LIB_SRC  := $(wildcard common/*.c ingest/*.c analytics/*.c model/*.c reports/*.c)
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
BENCH_SRC:= $(wildcard bench/*.c)
TEST_SUPPORT := $(wildcard tests/support/*.c)

SQL_SRC  := $(sort $(wildcard sql/[0-9]*.sql))
GEN_MIG  := $(BUILD)/gen/migrations.c

LIB_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(BUILD)/obj/gen/migrations.o
CLI_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRC))
SUP_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SUPPORT))
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCH_BIN:= $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
LIB      := $(BUILD)/libaftershock.a
BIN      := $(if $(filter 1,$(SAN)),$(BUILD)/aftershock,aftershock)

# The test support objects are prerequisites of a pattern rule, so make
# would delete them as intermediates after each link; keep them.  Never a
# bare .SECONDARY: it makes every target secondary, and a clean clone then
# builds nothing.
.SECONDARY: $(SUP_OBJ)
.PHONY: all deps demo test tests check bench clean model
all: $(BIN) $(CUDA_SO)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.cu
	@mkdir -p $(dir $@)
	@echo "  NVCC    $<"
	@$(NVCC) $(NVCCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libaftershock_cuda.so: $(CU_OBJ)
	@echo "  NVLINK  $@"
	@$(NVCC) -shared -cudart shared -o $@ $(CU_OBJ) -L$(CUDA_HOME)/lib64 -lcublas \
		-Xlinker -rpath,$(CUDA_HOME)/lib64,--no-undefined

# The migrations travel inside the binary (see sql/embed.sh).
$(GEN_MIG): $(SQL_SRC) sql/embed.sh
	@mkdir -p $(dir $@)
	@echo "  EMBED   $(SQL_SRC)"
	@sh sql/embed.sh $@ $(SQL_SRC)

$(BUILD)/obj/gen/migrations.o: $(GEN_MIG)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(SUP_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(SUP_OBJ) $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

deps:
	@sh .ci/deps

tests: $(BIN) $(CUDA_SO) $(TEST_BIN)

test: deps
	@$(MAKE) --no-print-directory tests
	@AFTERSHOCK_BIN=$(abspath $(BIN)) TEST_BUILD=$(BUILD) sh tests/run.sh

check: test

demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	./$(BIN) demo

bench: $(BIN) $(BENCH_BIN)
	@sh bench/run.sh

# The built-in summary model (issue 5), distilled from the narrator with a
# fixed seed, on random fact sheets and the real ones of data/factsheets.  OpenBLAS is pinned to one kernel set and thread count so the
# same OpenBLAS build gives the same bytes on any x86-64 machine; one
# thread, because on a shared 2-core machine a second one mostly spins.
model: $(BIN)
	@mkdir -p model/weights build
	OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell ./$(BIN) model distill --teacher narrator \
	    --facts 2000 --real-facts data/factsheets --checkpoint build/distill.ckpt \
	    -o model/weights/aftershock-summary.gguf

clean:
	rm -rf build build-san aftershock

-include $(shell find build build-san -name '*.d' 2>/dev/null)
