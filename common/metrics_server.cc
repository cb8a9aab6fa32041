#include "common/metrics_server.h"

#include <microhttpd.h>
#include <netdb.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/metrics_security.h"
#include "common/status_macros.h"
#include "common/text_exposition.h"
#include "common/tls.h"
#include "common/yaml_proto.h"
#include "prometheus/metric_family.h"

namespace vroeg {
namespace {

// A scraper needs one connection; the rest of the bound keeps idle or slow clients from tying
// up file descriptors and the serving thread.
constexpr unsigned int kMaxConnections = 16;
constexpr unsigned int kConnectionTimeoutSeconds = 10;
// GnuTLS priority string: its defaults, but no protocol older than TLS 1.2.
constexpr char kTlsPriorities[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
constexpr char kRealm[] = "vroeg";
constexpr char kExpositionType[] = "text/plain; version=0.0.4; charset=utf-8";
constexpr char kPlainText[] = "text/plain; charset=utf-8";
// How much libmicrohttpd asks the body reader for at a time.
constexpr size_t kBodyBlockSize = 64 * 1024;

// The body of one /metrics response: the chunks are shared with the collectables' caches, so a
// response holds them alive without copying them.
class ExpositionBody {
 public:
  explicit ExpositionBody(std::vector<ExpositionChunk> chunks) : chunks_(std::move(chunks)) {
    for (const ExpositionChunk& chunk : chunks_) size_ += chunk->size();
  }

  uint64_t size() const { return size_; }

  static ssize_t Read(void* cls, uint64_t position, char* buffer, size_t max) {
    return static_cast<ExpositionBody*>(cls)->Read(position, buffer, max);
  }
  static void Free(void* cls) { delete static_cast<ExpositionBody*>(cls); }

 private:
  // libmicrohttpd reads the body front to back; a position anywhere else would be its bug.
  ssize_t Read(uint64_t position, char* buffer, size_t max) {
    if (position != read_) return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t copied = 0;
    while (copied < max && chunk_ < chunks_.size()) {
      const std::string& chunk = *chunks_[chunk_];
      const size_t n = std::min(max - copied, chunk.size() - offset_);
      std::memcpy(buffer + copied, chunk.data() + offset_, n);
      copied += n;
      offset_ += n;
      if (offset_ == chunk.size()) {
        ++chunk_;
        offset_ = 0;
      }
    }
    if (copied == 0) return MHD_CONTENT_READER_END_OF_STREAM;
    read_ += copied;
    return static_cast<ssize_t>(copied);
  }

  const std::vector<ExpositionChunk> chunks_;
  uint64_t size_ = 0;
  uint64_t read_ = 0;
  size_t chunk_ = 0;
  size_t offset_ = 0;
};

class MicrohttpdMetricsServer : public MetricsServer {
 public:
  MicrohttpdMetricsServer(std::optional<BasicAuthCredentials> credentials,
                          std::vector<std::weak_ptr<prometheus::Collectable>> collectables)
      : credentials_(std::move(credentials)), collectables_(std::move(collectables)) {}

  ~MicrohttpdMetricsServer() override {
    if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
  }

  int port() const override { return port_; }

  // Empty PEM texts mean plain HTTP.
  absl::Status Listen(const std::string& setting, const std::string& listen,
                      std::string certificate_pem, std::string private_key_pem) {
    certificate_pem_ = std::move(certificate_pem);
    private_key_pem_ = std::move(private_key_pem);
    const size_t colon = listen.rfind(':');
    absl::string_view host = absl::string_view(listen).substr(0, colon);
    if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
    const std::string port = listen.substr(colon + 1);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (const int error = getaddrinfo(std::string(host).c_str(), port.c_str(), &hints, &found);
        error != 0) {
      return absl::UnavailableError(
          absl::StrCat(setting, ": cannot listen on ", listen, ": ", gai_strerror(error)));
    }
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);

    unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (addresses->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    const bool tls = !certificate_pem_.empty();
    if (tls) flags |= MHD_USE_TLS;
    std::vector<MHD_OptionItem> options = {
        {MHD_OPTION_CONNECTION_LIMIT, kMaxConnections, nullptr},
        {MHD_OPTION_CONNECTION_TIMEOUT, kConnectionTimeoutSeconds, nullptr}};
    if (tls) {
      options.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, certificate_pem_.data()});
      options.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, private_key_pem_.data()});
      options.push_back({MHD_OPTION_HTTPS_PRIORITIES, 0, const_cast<char*>(kTlsPriorities)});
    }
    options.push_back({MHD_OPTION_END, 0, nullptr});
    // The logger comes first so that it also receives errors about the options after it.
    daemon_ =
        MHD_start_daemon(flags, 0, nullptr, nullptr, &AnswerCallback, this,
                         MHD_OPTION_EXTERNAL_LOGGER, &LogCallback, this, MHD_OPTION_SOCK_ADDR,
                         addresses->ai_addr, MHD_OPTION_ARRAY, options.data(), MHD_OPTION_END);
    absl::MutexLock lock(&log_mu_);
    started_ = true;
    if (daemon_ == nullptr) {
      return absl::UnavailableError(
          absl::StrCat(setting, ": cannot listen on ", listen, ": ",
                       start_errors_.empty() ? "address in use, or not an address of this machine?"
                                             : start_errors_));
    }
    port_ = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
    return absl::OkStatus();
  }

 private:
  static MHD_Result AnswerCallback(void* cls, MHD_Connection* connection, const char* url,
                                   const char* method, const char* /*version*/,
                                   const char* /*upload_data*/, size_t* /*upload_data_size*/,
                                   void** /*request_state*/) {
    return static_cast<MicrohttpdMetricsServer*>(cls)->Answer(connection, url, method);
  }

  // Only start-up errors are kept, for the error Listen returns. Later ones concern single
  // connections (failed handshakes, malformed requests) and are answered to that client; logging
  // them would let anyone who can connect fill the log.
  static void LogCallback(void* cls, const char* format, va_list args) {
    auto* self = static_cast<MicrohttpdMetricsServer*>(cls);
    absl::MutexLock lock(&self->log_mu_);
    if (self->started_) return;
    char line[512];
    std::vsnprintf(line, sizeof(line), format, args);
    if (!self->start_errors_.empty()) self->start_errors_ += "; ";
    absl::StrAppend(&self->start_errors_, absl::StripAsciiWhitespace(line));
  }

  // Credentials come first, so that nothing (not even which paths exist) is told to strangers.
  MHD_Result Answer(MHD_Connection* connection, absl::string_view url, absl::string_view method) {
    if (!Authorized(connection)) {
      return Send(connection, MHD_HTTP_UNAUTHORIZED, "credentials required\n", kPlainText);
    }
    if (url != "/metrics") {
      return Send(connection, MHD_HTTP_NOT_FOUND, "not found; metrics are at /metrics\n",
                  kPlainText);
    }
    if (method != MHD_HTTP_METHOD_GET && method != MHD_HTTP_METHOD_HEAD) {
      return Send(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is allowed\n", kPlainText);
    }
    auto* body = new ExpositionBody(Exposition());
    MHD_Response* response = MHD_create_response_from_callback(
        body->size(), kBodyBlockSize, &ExpositionBody::Read, body, &ExpositionBody::Free);
    if (response == nullptr) {
      delete body;
      return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, kExpositionType);
    const MHD_Result result = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return result;
  }

  bool Authorized(MHD_Connection* connection) const {
    if (!credentials_.has_value()) return true;
    char* password = nullptr;
    char* username = MHD_basic_auth_get_username_password(connection, &password);
    const bool authorized =
        username != nullptr && password != nullptr && credentials_->Matches(username, password);
    MHD_free(username);
    MHD_free(password);
    return authorized;
  }

  // Every live collectable's text, in order. Neighbouring collectables without text of their own
  // share one chunk.
  std::vector<ExpositionChunk> Exposition() const {
    std::vector<ExpositionChunk> chunks;
    std::string collected;
    for (const auto& weak : collectables_) {
      const auto collectable = weak.lock();
      if (collectable == nullptr) continue;
      if (const auto* text = dynamic_cast<const TextCollectable*>(collectable.get())) {
        if (!collected.empty()) {
          chunks.push_back(std::make_shared<const std::string>(std::move(collected)));
          collected.clear();
        }
        text->AppendExposition(&chunks);
        continue;
      }
      AppendTextExposition(collectable->Collect(), &collected);
    }
    if (!collected.empty()) {
      chunks.push_back(std::make_shared<const std::string>(std::move(collected)));
    }
    return chunks;
  }

  static MHD_Result Send(MHD_Connection* connection, unsigned int status, const std::string& body,
                         const char* content_type) {
    MHD_Response* response = MHD_create_response_from_buffer(
        body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_Result result;
    if (status == MHD_HTTP_UNAUTHORIZED) {
      result = MHD_queue_basic_auth_fail_response(connection, kRealm, response);
    } else {
      if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
        MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
      }
      result = MHD_queue_response(connection, status, response);
    }
    MHD_destroy_response(response);
    return result;
  }

  // Unset for plain HTTP: then every request is served.
  const std::optional<BasicAuthCredentials> credentials_;
  const std::vector<std::weak_ptr<prometheus::Collectable>> collectables_;
  // libmicrohttpd is given pointers to these, not copies.
  std::string certificate_pem_;
  std::string private_key_pem_;
  absl::Mutex log_mu_;
  bool started_ ABSL_GUARDED_BY(log_mu_) = false;
  std::string start_errors_ ABSL_GUARDED_BY(log_mu_);
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsServer(
    const std::string& setting, const std::string& listen,
    const config::v1::MetricsSecurity& security, const std::string& base_dir,
    std::vector<std::weak_ptr<prometheus::Collectable>> collectables) {
  if (!security.has_tls()) {
    auto server = std::make_unique<MicrohttpdMetricsServer>(std::nullopt, std::move(collectables));
    VROEG_RETURN_IF_ERROR(server->Listen(setting, listen, "", ""));
    return server;
  }
  const std::string certificate_path = ResolvePath(base_dir, security.tls().certificate());
  auto certificate_pem = ReadFileToString(certificate_path);
  if (!certificate_pem.ok()) {
    return absl::Status(
        certificate_pem.status().code(),
        absl::StrCat("metrics_security.tls.certificate: ", certificate_pem.status().message()));
  }
  VROEG_ASSIGN_OR_RETURN(std::string private_key_pem,
                         ReadSecretFile("metrics_security.tls.private_key",
                                        ResolvePath(base_dir, security.tls().private_key())));
  VROEG_ASSIGN_OR_RETURN(BasicAuthCredentials credentials,
                         BasicAuthCredentials::Load(security.basic_auth(), base_dir));
  auto server =
      std::make_unique<MicrohttpdMetricsServer>(std::move(credentials), std::move(collectables));
  VROEG_RETURN_IF_ERROR(
      server->Listen(setting, listen, *std::move(certificate_pem), std::move(private_key_pem)));
  return server;
}

}  // namespace vroeg
