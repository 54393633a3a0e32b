/* What sockopt's show mode and its lessons print alike. */
#include "sockopt_int.h"

/* No timeout reads "none" in text and null in JSON, as Python's
 * gettimeout() returns None; otherwise seconds with millisecond digits. */
void
sockopt_emit_timeout(struct nk_out *o, const char *key, int ms)
{
    if (ms == 0 && o->mode == NK_OUT_JSON)
        nk_out_null(o, key);
    else if (ms == 0)
        nk_out_str(o, key, "none");
    else
        nk_out_double(o, key, ms / 1000.0, 3);
}
