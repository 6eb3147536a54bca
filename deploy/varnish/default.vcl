#
# Varnish 7 in front of Policy Briefs.
#
# Keeps the public pages the app marks "Cache-Control: public" (core/caching.py)
# for anonymous readers, and drops them by tag when the app says what changed
# (core/purge.py sends "PURGE /" with an "xkey-purge: brief-12 briefs ..."
# header; pages list their tags in an "xkey" header, removed before delivery).
#
# Needs Debian's varnish (7.x) and varnish-modules (for xkey):
#     apt-get install varnish varnish-modules
# Run, e.g.:
#     varnishd -a :80 -f /etc/varnish/default.vcl -s malloc,1G
# and set CACHE_PURGE_URLS=http://<this host>:80 for the app (see docs/deployment.md).
#
vcl 4.1;

import directors;
import std;
import xkey;

# -- The app servers --------------------------------------------------------------
# One backend per gunicorn server, shared round-robin; a server that fails its
# health check (/healthz) is left out until it answers again.
# tests/varnish.py rewrites this section for the servers it starts.
probe healthz {
    .url = "/healthz";
    .interval = 5s;
    .timeout = 2s;
    .window = 5;
    .threshold = 3;
    .initial = 3;
}

backend app1 {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
    .probe = healthz;
}

sub vcl_init {
    new app_servers = directors.round_robin();
    app_servers.add_backend(app1);
}
# -- end of the app servers -------------------------------------------------------

# Who may purge: the app servers and task workers. Add their addresses.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    set req.backend_hint = app_servers.backend();
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Not allowed to purge"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "An xkey-purge header naming the tags to purge is required"));
        }
        # A hard purge: the pages are gone, not kept to be served stale while refetched.
        set req.http.purged = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.purged));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Staff (they have a session cookie), the admin, previews and the newsletter's
    # personal pages always go to the app.
    if (req.url ~ "^/(admin|preview|newsletter)/"
        || req.http.Cookie ~ "(^|;)\s*sessionid="
        || req.http.Authorization) {
        return (pass);
    }
    # No other cookie changes a public page (an old csrftoken, an analytics cookie).
    unset req.http.Cookie;
    call briefs_normalise_query;
    call briefs_normalise_encoding;
    return (hash);
}

# Keep only the query parameters that choose what a page shows (PAGE_PARAMETERS in
# core/caching.py), with a value, in one order, and without page=1: utm_*, fbclid
# or a random cache-buster then give the same cached copy as the plain address.
sub briefs_normalise_query {
    if (req.url ~ "\?") {
        set req.url = regsuball(req.url, "([?&])(?!(?:q|series|topic|author|year|page|p)=[^&])[^&]*", "\1");
        set req.url = regsuball(req.url, "([?&])page=1(?=&|$)", "\1");
        set req.url = regsuball(req.url, "&{2,}", "&");
        set req.url = regsub(req.url, "\?&+", "?");
        set req.url = regsub(req.url, "[?&]+$", "");
        set req.url = std.querysort(req.url);
    }
}

# Brotli for browsers that take it, gzip for the rest (the app compresses; Varnish
# unzips for the rare client that takes neither). Normalised, so that the pages'
# "Vary: Accept-Encoding" gives at most three copies of a page, not one per
# browser's way of writing the header.
sub briefs_normalise_encoding {
    unset req.http.X-Briefs-Encoding;
    if (req.http.Accept-Encoding ~ "(^|,)\s*br\s*(,|;\s*q=(1|0\.[1-9])|$)") {
        set req.http.Accept-Encoding = "br";
        # Varnish asks the app for gzip whatever the reader accepts; this says otherwise.
        set req.http.X-Briefs-Encoding = "br";
    } elsif (req.http.Accept-Encoding ~ "gzip") {
        set req.http.Accept-Encoding = "gzip";
    } else {
        unset req.http.Accept-Encoding;
    }
}

sub vcl_hash {
    # Brotli copies are kept apart from the gzip copy Varnish unzips for readers who need it.
    if (req.http.X-Briefs-Encoding == "br") {
        hash_data("br");
    }
}

sub vcl_backend_fetch {
    if (bereq.http.X-Briefs-Encoding == "br") {
        set bereq.http.Accept-Encoding = "br";
    }
    unset bereq.http.X-Briefs-Encoding;
}

sub vcl_backend_response {
    # Only what the app calls public is kept: errors, redirects, forms and staff pages pass through.
    if (beresp.http.Cache-Control !~ "(^|,)\s*public\b" || beresp.http.Set-Cookie) {
        set beresp.uncacheable = true;
        set beresp.ttl = 60s;
        return (deliver);
    }
    # s-maxage sets the time to live (Varnish reads it); stale-while-revalidate is how long an
    # expired copy may still be served while a fresh one is fetched.
    if (beresp.http.Cache-Control ~ "stale-while-revalidate=[0-9]+") {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, ".*stale-while-revalidate=([0-9]+).*", "\1s"), 0s);
    }
    # Kept a little longer for conditional refetches (If-None-Match) from the app.
    set beresp.keep = 5m;
    return (deliver);
}

sub vcl_synth {
    if (req.method == "PURGE") {
        set resp.http.Content-Type = "text/plain; charset=utf-8";
        set resp.body = resp.reason + {"
"};
        return (deliver);
    }
}

sub vcl_deliver {
    # Tags and the app's own page-cache note are for us, not for readers.
    unset resp.http.xkey;
    unset resp.http.X-Page-Cache;
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
