/* SPDX-License-Identifier: MIT */
/*
 * String and memory functions. The hypervisor image gets them from
 * lib/string.c; host builds use the C library's, so the declarations are the
 * standard ones either way (the compiler also emits memcpy/memset calls itself).
 */
#ifndef RHENIUM_STRING_H
#define RHENIUM_STRING_H

#include <rhenium/types.h>

#if defined(RHENIUM_HOST)
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#endif

/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t size);

#endif
