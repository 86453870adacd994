/*
 * cc_api.h - CC_API, the mark of every public function of libcarecircle.
 *
 * The library is compiled with -fvisibility=hidden: only functions declared with CC_API in
 * include/carecircle/ are exported from libcarecircle.so; the internal cc__ functions are not, so
 * they cannot be called, interposed or relied on from outside. Defining CC_API before including
 * a carecircle header overrides it (empty, for instance, for a compiler without the attribute).
 */
#ifndef CC_API_H
#define CC_API_H

#ifndef CC_API
#if defined(__GNUC__) && __GNUC__ >= 4
#define CC_API __attribute__((visibility("default")))
#else
#define CC_API
#endif
#endif

#endif /* CC_API_H */
