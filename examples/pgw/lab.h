/* lab.h - the sample application's load lab (lab.c). */
#ifndef PGW_LAB_H
#define PGW_LAB_H

#include "weft.h"

/* POST /lab?page=gizmos|gizmos-async&clients=N&seconds=S (callback). */
void lab_start(weft_ctx *c);

#endif
