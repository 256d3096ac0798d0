/** @file weft.h
 * @brief Everything public in weft: include this one header. */
#ifndef WEFT_H
#define WEFT_H

#include "weft/base.h"
#include "weft/json.h"
#include "weft/http.h"
#include "weft/jansson.h"
#include "weft/loop.h"
#include "weft/pool.h"
#include "weft/fiber.h"
#include "weft/task.h"
#include "weft/cancel.h"
#include "weft/client.h"
#include "weft/server.h"
#include "weft/middleware.h"
#include "weft/websocket.h"
#include "weft/stats.h"

#endif
