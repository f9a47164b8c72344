// SPDX-License-Identifier: GPL-3.0-or-later
#include "http_client.hpp"

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sagitta::cli {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

HttpUrl parseHttpUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    throw std::invalid_argument("https is not supported here: reach the node over http (a local tunnel or proxy)");
  }
  if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("the URL must start with http:// (" + url.substr(0, 60) + ")");
  const auto rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  HttpUrl u;
  if (authority.empty() || authority.find('@') != std::string::npos) {
    throw std::invalid_argument("the URL needs a host (credentials go in --user): " + url.substr(0, 60));
  }
  const auto colon = authority.rfind(':');
  u.host = authority.substr(0, colon);
  if (colon != std::string::npos) {
    u.port = authority.substr(colon + 1);
    if (u.port.empty() || u.port.size() > 5 || u.port.find_first_not_of("0123456789") != std::string::npos) {
      throw std::invalid_argument("the URL's port is not a number: " + url.substr(0, 60));
    }
  }
  u.path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  return u;
}

std::string base64(const std::string& bytes) {
  static const char* const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16U) |
                   (static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8U) |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
    for (const unsigned shift : {18U, 12U, 6U, 0U}) out += alphabet[(n >> shift) & 63U];
  }
  if (i < bytes.size()) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16U;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8U;
    out += alphabet[(n >> 18U) & 63U];
    out += alphabet[(n >> 12U) & 63U];
    out += i + 1 < bytes.size() ? alphabet[(n >> 6U) & 63U] : '=';
    out += '=';
  }
  return out;
}

std::string httpGet(const HttpUrl& base, const std::string& target, const std::string& credentials, std::size_t maxBytes,
                    int timeoutSeconds) {
  const std::string where = "http://" + base.host + ":" + base.port + base.path + target;
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(timeoutSeconds));
    tcp::resolver resolver(io);
    stream.connect(resolver.resolve(base.host, base.port));
    http::request<http::empty_body> request{http::verb::get, base.path + target, 11};
    request.set(http::field::host, base.host);
    request.set(http::field::user_agent, "sagitta");
    if (!credentials.empty()) request.set(http::field::authorization, "Basic " + base64(credentials));
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(maxBytes);
    http::read(stream, buffer, parser);
    auto response = parser.release();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (response.result_int() != 200) {
      throw HttpError("GET " + where + ": HTTP " + std::to_string(response.result_int()) + " " +
                          response.body().substr(0, 300),
                      static_cast<int>(response.result_int()));
    }
    return std::move(response.body());
  } catch (const beast::system_error& e) {
    throw HttpError("GET " + where + ": " + e.code().message(), 0);
  }
}

}  // namespace sagitta::cli
