/* SPDX-License-Identifier: MIT */
#include <rhenium/bootargs.h>
#include <rhenium/string.h>

#define BOOTARGS_PREFIX "rhenium."

static bool bootargs_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

bool bootargs_find(const char *args, const char *key, const char **value, size_t *value_len)
{
	size_t prefix_len = strlen(BOOTARGS_PREFIX);
	size_t key_len = strlen(key);
	bool found = false;
	const char *p = args;

	while (*p) {
		const char *word;
		size_t word_len = 0;

		while (bootargs_is_space(*p))
			p++;
		word = p;
		while (word[word_len] && !bootargs_is_space(word[word_len]))
			word_len++;
		p = word + word_len;

		if (word_len < prefix_len + key_len ||
		    strncmp(word, BOOTARGS_PREFIX, prefix_len) != 0 ||
		    strncmp(word + prefix_len, key, key_len) != 0)
			continue;
		if (word_len == prefix_len + key_len) {
			*value = word + word_len;
			*value_len = 0;
			found = true;
		} else if (word[prefix_len + key_len] == '=') {
			*value = word + prefix_len + key_len + 1;
			*value_len = word_len - prefix_len - key_len - 1;
			found = true;
		}
	}
	return found;
}

bool bootargs_equals(const char *args, const char *key, const char *want)
{
	const char *value;
	size_t len;

	if (!bootargs_find(args, key, &value, &len))
		return false;
	return len == strlen(want) && strncmp(value, want, len) == 0;
}
