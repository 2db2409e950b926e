// tfe/net/asio.hpp: standalone Asio and its TLS part (asio/ssl.hpp), included by every tfe header that
// uses either, never <asio.hpp> or <asio/ssl.hpp> directly (the definition below must come first).
//
// Asio 1.24 (Debian 12) recognises C++20 coroutines (co_await, asio::awaitable) in GCC, and in Clang
// only through the old Coroutines TS (<experimental/coroutine>), which Clang 16 with libstdc++ no
// longer has. Clang 16 implements the C++20 coroutines that tfe's TCP mesh and TLS code are written
// in, so they are declared available here, before Asio reads its configuration.
#pragma once

#if defined(__clang__) && !defined(ASIO_HAS_CO_AWAIT) && !defined(ASIO_DISABLE_CO_AWAIT) && \
    defined(__cpp_impl_coroutine) && __cpp_impl_coroutine >= 201902L && __has_include(<coroutine>)
#define ASIO_HAS_CO_AWAIT 1
#endif

#include <asio.hpp>
#include <asio/ssl.hpp>
