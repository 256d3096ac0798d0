/* fuzz_json.c - libFuzzer driver for the JSON pull reader, differential
 * against jansson. Build: make fuzz; run: build-fuzz/bin/fuzz_json DIR
 *
 * Properties beyond "no crash": the reader accepts exactly the documents
 * jansson accepts (outside the three places they knowingly differ, below),
 * token text always lies inside the input, decoding a string never
 * writes past its buffer and reports the same length at any size, and
 * skipping a value lands where reading it through does. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/json.h"

static void check_string(const weft_json_reader *r)
{
    size_t need = weft_json_string(r, NULL, 0);
    char *full = malloc(need + 1);
    if (weft_json_string(r, full, need + 1) != need || full[need] != '\0')
        abort();
    if (!r->escaped && need != r->text.len)
        abort();
    char small[3];
    if (weft_json_string(r, small, sizeof small) != need)
        abort();
    free(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *doc = (const char *)data;
    weft_json_reader r;
    weft_json_init(&r, doc, size);
    weft_json_type t;
    while ((t = weft_json_next(&r)) > WEFT_JSON_ERROR) {
        if (r.text.len && (r.text.base < doc || r.text.base + r.text.len > doc + size))
            abort();
        if (t == WEFT_JSON_STRING || t == WEFT_JSON_KEY)
            check_string(&r);
        if (t == WEFT_JSON_NUMBER) {
            double d;
            int64_t i;
            /* The fast path must agree with strtod bit for bit. */
            char text[512];
            if (weft_json_double(&r, &d) == 0 && r.text.len < sizeof text) {
                memcpy(text, r.text.base, r.text.len);
                text[r.text.len] = '\0';
                double want = strtod(text, NULL);
                if (memcmp(&d, &want, sizeof d) != 0)
                    abort();
            }
            (void)weft_json_int64(&r, &i);
        }
    }
    int ours = t == WEFT_JSON_END;

    /* Skipping the top-level value must agree with reading it through. */
    weft_json_reader s;
    weft_json_init(&s, doc, size);
    int skipped = weft_json_skip(&s, weft_json_next(&s)) == 0 && weft_json_next(&s) == WEFT_JSON_END;
    if (skipped != ours)
        abort();

    json_error_t je;
    json_t *v = json_loadb(doc, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    int theirs = v != NULL;
    json_decref(v);
    if (ours == theirs)
        return 0;
    /* Known differences: jansson rejects integers outside int64 and reals
     * that overflow a double (we hand numbers out as text), allows nesting
     * to 2048 where we stop at 64, and reads a NUL byte between tokens as
     * if it were not there (RFC 8259 does not allow it; we stop). */
    if (!theirs && (strstr(je.text, "too big") || strstr(je.text, "overflow")))
        return 0;
    if (!ours && r.error && strcmp(r.error, "nesting too deep") == 0)
        return 0;
    if (!ours && r.error_offset < size && data[r.error_offset] == '\0')
        return 0;
    abort();
}
