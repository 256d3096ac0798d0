# weft - the commands a newcomer needs. CMake does the building underneath.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local
CMAKE_GEN  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all deps build test demo asan tsan fuzz mutants clean bench format install uninstall docs abi

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The whole suite on the default I/O engine (io_uring where the kernel
# allows it), then the black-box tests once more on epoll: each engine
# serves every scenario.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300
	cd $(BUILD) && WEFT_IO=epoll ctest --output-on-failure -j $(JOBS) --timeout 300 -L blackbox

# The library as a system library would be: libweft.so.1 and libweft.a,
# the headers, weft.pc and the CMake package (cmake/install.cmake). A
# system prefix gets the linker cache refreshed; any other (a test's
# temporary one) is left as it is. What went where is kept per prefix,
# so `make uninstall PREFIX=...` removes exactly that install.
INSTALLED = $(BUILD)/installed$(subst /,-,$(abspath $(PREFIX))).txt
LDCONFIG  = if [ "$$(id -u)" = 0 ] && { [ "$(PREFIX)" = /usr/local ] || [ "$(PREFIX)" = /usr ]; }; then ldconfig; fi
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)
	cp $(BUILD)/install_manifest.txt $(INSTALLED)
	@$(LDCONFIG)

uninstall:
	cmake -DMANIFEST=$(INSTALLED) -P cmake/uninstall.cmake
	rm -f $(INSTALLED)
	@$(LDCONFIG)

# The API reference from the headers' doc comments (Doxygen): every public
# function, type, macro and field documented, or it fails.
docs:
	@scripts/deps.sh --docs
	scripts/docs.sh

# The ABI against the last release's (abi/): not part of the timed suite.
abi: build
	@scripts/deps.sh --abi
	scripts/abi-check.sh $(BUILD)

demo: build
	@scripts/demo.sh $(BUILD)/bin

asan: deps
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=address,undefined
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	WT_SANITIZED=1 ctest --output-on-failure -j $(JOBS) --timeout 600

tsan: deps
	cmake -S . -B $(TSAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=thread
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 WT_SLOW_BUILD=1 WT_SANITIZED=1 ctest --output-on-failure -j $(JOBS) --timeout 600

fuzz: deps
	@scripts/deps.sh --fuzz
	scripts/fuzz.sh

bench: build
	bench/run.sh all

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-fuzz

# The mutation check (scripts/mutants.py): each hand-written mutant of a
# rule that matters must make the suite fail. Not part of `make test`.
mutants: build
	scripts/mutants.py
