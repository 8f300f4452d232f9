#ifndef LAYER_VAULT_VAULTD_SERVER_EVENT_SINK_H_
#define LAYER_VAULT_VAULTD_SERVER_EVENT_SINK_H_

#include "vaultd/audit/audit_log.h"

namespace layer_vault::server {

// EventSink receives the daemon's audit events: the audit log in
// production, a recorder in tests. Record must be thread-safe and must not
// block for long. Events never hold a secret (tokens only as their jti).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Record(const audit::Event& event) = 0;
};

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_EVENT_SINK_H_
