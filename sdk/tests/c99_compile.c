// SPDX-License-Identifier: Apache-2.0
/* Compiled with -std=c99 -pedantic -Werror: connector.h must be strict C99. */
#include <accord/check.h>
#include <accord/connector.h>
#include <accord/watch.h>

static int32_t c99_check(void) {
  accord_connector t;
  accord_host h;
  accord_error e;
  accord_watch_v1 w;
  t.abi_major = ACCORD_ABI_MAJOR;
  h.abi_major = ACCORD_ABI_MAJOR;
  e.set = 0;
  w.struct_size = (uint32_t)sizeof w;
  return (int32_t)(t.abi_major + h.abi_major + w.struct_size - (uint32_t)sizeof w) + (e.set == 0 ? ACCORD_OK : ACCORD_ERROR);
}

int accord_sdk_c99_probe(void);
int accord_sdk_c99_probe(void) { return (int)c99_check(); }
