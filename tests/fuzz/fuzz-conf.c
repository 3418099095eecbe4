/* SPDX-License-Identifier: MIT */
/* libFuzzer target: arbitrary bytes through the whole config parser (lines, values, checks),
 * and the same bytes as a NixOS module container file (environment-file syntax, mapping). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf-internal.h"
#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c = NULL;
	char *text;

	/* conf_parse_string takes a C string: give it a terminated copy (an embedded NUL simply
	 * ends the text early, as it would when reading a file). */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (conf_parse_string("fuzz.conf", text, &c) >= 0 || c) {
		/* Touch what consumers read, so ASan sees any dangling pointer. */
		for (size_t i = 0; c && i < c->n_errors; i++)
			(void)strlen(c->errors[i]);
		for (size_t i = 0; c && i < c->n_containers; i++)
			for (size_t j = 0; j < c->containers[i].n_extras; j++)
				(void)strlen(c->containers[i].extras[j]->veth.ifname);
	}
	conf_free(c);
	c = NULL;
	/* No directory is read here: the text is handed over as the file's contents. */
	if (conf_new("fuzz.conf", &c) >= 0 &&
	    conf_import_nixos_text(c, "/fuzz/nixos-containers/f.conf", "f", text) >= 0 &&
	    conf_finish(c) != -ENOMEM)
		for (size_t i = 0; i < c->n_errors; i++)
			(void)strlen(c->errors[i]);
	conf_free(c);
	free(text);
	return 0;
}
