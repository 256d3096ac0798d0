/* status.c - reason phrases for the status codes weft sends, and the one
 * map from weft's error codes to the statuses that answer them. */
#include "weft/http.h"

int weft_http_status_of(int err)
{
    switch (err) {
    case WEFT_EBADMSG: return 400;
    case WEFT_ENOTFOUND: return 404;
    case WEFT_EMETHOD: return 405;
    case WEFT_ETOOBIG: return 413;
    case WEFT_EURITOOLONG: return 414;
    case WEFT_EEXPECT: return 417;
    case WEFT_EFIELDS: return 431;
    case WEFT_ENOTIMPL: return 501;
    case WEFT_EVERSION: return 505;
    case WEFT_EBUSY:
    case WEFT_ECANCELED: return 503;
    case WEFT_ETIMEDOUT: return 504;
    case WEFT_ECONNREFUSED:
    case WEFT_ECONNRESET:
    case WEFT_EPROTO:
    case WEFT_EDNS:
    case WEFT_ETLS:
    case WEFT_EIO:
    case WEFT_ECLOSED:
    case WEFT_EHTTP: return 502;
    default: return 500;
    }
}

int weft_http_gateway_status(int err)
{
    return err == WEFT_ETIMEDOUT ? 504 : 502;
}

const char *weft_http_status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 426: return "Upgrade Required";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}
