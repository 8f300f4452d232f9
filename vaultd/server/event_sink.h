#ifndef LAYER_VAULT_VAULTD_SERVER_EVENT_SINK_H_
#define LAYER_VAULT_VAULTD_SERVER_EVENT_SINK_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "vaultd/peer/peer_identity.h"

namespace layer_vault::server {

// One thing worth auditing. Never holds a secret: tokens appear only as
// their jti.
struct Event {
  std::string name;      // "token.issue", "relay.call", "admin.unlock", ...
  std::string decision;  // "allow", "deny", "error"
  const peer::PeerIdentity* caller = nullptr;  // null for daemon events
  std::string jti;
  std::string scope;
  std::string operation;
  int http_status = 0;
  absl::Duration latency = absl::ZeroDuration();
  std::string reason;
};

// EventSink receives the daemon's audit events (the audit log implements
// it). Record must be thread-safe and must not block for long.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Record(const Event& event) = 0;
};

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_EVENT_SINK_H_
