// One-line umbrella: the include path comes from `pkg-config --cflags openblas`
// (on Debian: /usr/include/x86_64-linux-gnu/openblas-pthread/), so this header
// does not hard-code where Debian puts cblas.h.
#include <cblas.h>
