#include "vaultd/relay/relay.h"

#include <stdlib.h>

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/fake_clock.h"
#include "common/typed_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::relay {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPat[] = "pat_RELAYTESTSECRET0123456789";
constexpr char kWs[] = "00000000-0000-4000-8000-000000000001";
constexpr char kModel[] = "00000000-0000-4000-8000-0000000000aa";
constexpr char kBase[] = "https://layer.test/api";

// A scripted Layer.ai behind the HttpClient interface.
class FakeLayer : public HttpClient {
 public:
  using Handler = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;

  void On(const std::string& method, const std::string& path, Handler handler) {
    absl::MutexLock lock(&mu_);
    routes_[method + " " + path] = std::move(handler);
  }
  void OnJson(const std::string& method, const std::string& path, int status,
              const json& body) {
    On(method, path, [status, body](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
      HttpResponse r;
      r.status = status;
      r.body = body.dump();
      r.content_type = "application/json";
      return r;
    });
  }

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request,
                                    const crypto::SecretBytes& token) override {
    Handler handler;
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
      tokens_.emplace_back(token.UnsafeView());
      std::string path = request.url;
      if (absl::StartsWith(path, kBase)) path = path.substr(strlen(kBase));
      path = path.substr(0, path.find('?'));
      auto it = routes_.find(request.method + " " + path);
      if (it == routes_.end()) {
        HttpResponse r;
        r.status = 404;
        r.body = R"({"detail":"Not Found"})";
        return r;
      }
      handler = it->second;
    }
    return handler(request);
  }

  std::vector<HttpRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  std::vector<std::string> tokens() {
    absl::MutexLock lock(&mu_);
    return tokens_;
  }
  int Count(const std::string& method, const std::string& path) {
    int n = 0;
    for (const auto& r : requests()) {
      if (r.method == method && r.url.substr(0, r.url.find('?')) == kBase + path) ++n;
    }
    return n;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, Handler> routes_;
  std::vector<HttpRequest> requests_;
  std::vector<std::string> tokens_;
};

class AdvancingSleeper : public Sleeper {
 public:
  explicit AdvancingSleeper(common::FakeClock* clock) : clock_(clock) {}
  void Sleep(absl::Duration d) override {
    absl::MutexLock lock(&mu_);
    delays.push_back(d);
    clock_->Advance(d);
  }
  absl::Mutex mu_;
  std::vector<absl::Duration> delays;

 private:
  common::FakeClock* clock_;
};

const std::string kWsPath = absl::StrCat("/v1/workspaces/", kWs);

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegistryOptions registry_options;
    registry_options.rest_base_url = kBase;
    registry_options.graphql_url = "https://layer.test/graphql";
    auto registry =
        Registry::LoadFromDirectory("vaultd/relay/operations", registry_options);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    const char* tmp = getenv("TEST_TMPDIR");
    std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/relayXXXXXX");
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    spend_options_.ledger_path = dir + "/ledger.jsonl";
    spend_options_.per_run_cap = 20;
    spend_options_.caller_period_budget = 100;
    Reopen();
  }

  void Reopen() {
    relay_.reset();
    spend_.reset();
    auto spend = SpendController::Open(spend_options_, &clock_);
    ASSERT_TRUE(spend.ok()) << spend.status();
    spend_ = *std::move(spend);
    RateLimitOptions rate;
    rate.rate_per_second = rate_per_second_;
    rate.burst = burst_;
    auto limiter = RateLimiter::Create(rate, &clock_);
    ASSERT_TRUE(limiter.ok());
    limiter_ = *std::move(limiter);
    RelayOptions options;
    options.retry.seed = 7;
    auto relay = Relay::Create(
        options, RelayDeps{registry_.get(), &layer_, spend_.get(), limiter_.get(),
                           &clock_, &sleeper_});
    ASSERT_TRUE(relay.ok()) << relay.status();
    relay_ = *std::move(relay);
  }

  absl::StatusOr<RelayResult> Call(const std::string& op, const json& params,
                                   const std::string& uid = "1000") {
    return relay_->Call(CallerKey{uid}, op, params.dump(), pat_);
  }

  // Scripts an estimate of `price` and an execute that starts `run_id`.
  void ScriptInference(double price, const std::string& run_id = "run-1",
                       int execute_status = 200) {
    layer_.OnJson("POST", kWsPath + "/inferences/estimate", 200,
                  {{"estimated_price_creative_units", price},
                   {"has_sufficient_creative_units", true}});
    layer_.OnJson("POST", kWsPath + "/inferences", execute_status,
                  execute_status == 200
                      ? json{{"inference_id", run_id},
                             {"status", "in_progress"},
                             {"estimated_price_creative_units", price},
                             {"poll_interval_seconds", 10}}
                      : json{{"code", "MODEL_NOT_FOUND"}, {"message", "no such model"}});
  }

  json ExecuteParams() {
    return {{"workspace_id", kWs},
            {"body",
             {{"model_id", kModel},
              {"prompt", "stone tower"},
              {"seed", 42},
              {"session_name", "towers"},
              {"guidance_files", json::array({{{"file_id", "f1"}, {"type", "pose"}}})}}}};
  }

  common::FakeClock clock_;
  AdvancingSleeper sleeper_{&clock_};
  FakeLayer layer_;
  std::unique_ptr<Registry> registry_;
  SpendOptions spend_options_;
  std::unique_ptr<SpendController> spend_;
  double rate_per_second_ = 100, burst_ = 100;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<Relay> relay_;
  crypto::SecretBytes pat_ = crypto::SecretBytes::CopyFrom(kPat);
};

TEST_F(RelayTest, ReadReturnsRedactedBody) {
  layer_.OnJson("GET", "/v1/workspaces", 200,
                {{"workspaces", json::array({{{"name", "leaked pat_abcdefghijkl"}}})},
                 {"note", "Bearer xyz"}});
  auto result = Call("workspaces.list", {{"limit", 5}});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->http_status, 200);
  EXPECT_EQ(result->attempts, 1);
  EXPECT_EQ(result->creative_units_charged, 0);
  EXPECT_EQ(json::parse(result->body_json),
            json({{"workspaces", json::array({{{"name", "leaked [REDACTED]"}}})},
                  {"note", "Bearer [REDACTED]"}}));
  ASSERT_EQ(layer_.requests().size(), 1u);
  EXPECT_EQ(layer_.requests()[0].url, absl::StrCat(kBase, "/v1/workspaces?limit=5"));
  EXPECT_EQ(layer_.tokens()[0], kPat);
}

TEST_F(RelayTest, RetriesIdempotentReads) {
  int calls = 0;
  layer_.On("GET", "/v1/workspaces", [&](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    clock_.Advance(absl::Milliseconds(20));
    HttpResponse r;
    if (++calls == 1) {
      r.status = 503;
      return r;
    }
    if (calls == 2) {
      absl::Status s = absl::UnavailableError("connection reset");
      MarkTransient(s);
      return s;
    }
    r.status = 200;
    r.body = "{}";
    return r;
  });
  auto result = Call("workspaces.list", json::object());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->attempts, 3);
  EXPECT_EQ(result->upstream_latency, absl::Milliseconds(60));
  EXPECT_EQ(sleeper_.delays.size(), 2u);
}

TEST_F(RelayTest, ExhaustedRetriesAreUnavailable) {
  layer_.OnJson("GET", "/v1/workspaces", 502, json::object());
  auto result = Call("workspaces.list", json::object());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(layer_.Count("GET", "/v1/workspaces"), 3);
}

TEST_F(RelayTest, ExecuteEstimatesFirstThenReserves) {
  ScriptInference(12.5);
  auto result = Call("inferences.execute", ExecuteParams());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->creative_units_charged, 12.5);
  EXPECT_EQ(json::parse(result->body_json)["inference_id"], "run-1");
  auto requests = layer_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].url, kBase + kWsPath + "/inferences/estimate");
  // The estimate gets the same body minus the fields it does not accept.
  EXPECT_EQ(json::parse(requests[0].body),
            json({{"model_id", kModel}, {"prompt", "stone tower"}}));
  EXPECT_EQ(requests[1].url, kBase + kWsPath + "/inferences");
  EXPECT_EQ(json::parse(requests[1].body), ExecuteParams()["body"]);
  SpendSummary s = spend_->Summary("1000");
  EXPECT_DOUBLE_EQ(s.caller_spent, 12.5);
  EXPECT_DOUBLE_EQ(s.caller_reserved, 12.5);
}

TEST_F(RelayTest, ExecuteBodyIsForwardedByteForByte) {
  ScriptInference(1);
  const std::string raw = absl::StrCat(
      R"({"workspace_id":")", kWs, R"(", "body":{"prompt":"\u00e9 x","model_id":")",
      kModel, R"(","batch_size":1.0}})");
  auto result = relay_->Call(CallerKey{"1000"}, "inferences.execute", raw, pat_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(layer_.requests()[1].body,
            absl::StrCat(R"({"prompt":"\u00e9 x","model_id":")", kModel,
                         R"(","batch_size":1.0})"));
}

TEST_F(RelayTest, ExecuteAboveRunCapIsNeverSent) {
  ScriptInference(34);
  auto result = Call("inferences.execute", ExecuteParams());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(common::ErrorTypeOf(result.status())->type, "RUN_CAP_EXCEEDED");
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("34 CU"));
  EXPECT_EQ(layer_.Count("POST", kWsPath + "/inferences"), 0);
}

TEST_F(RelayTest, BudgetIsEnforcedAcrossRestart) {
  ScriptInference(20);
  for (int i = 0; i < 4; ++i) {
    layer_.OnJson("POST", kWsPath + "/inferences", 200,
                  {{"inference_id", absl::StrCat("run-", i)}, {"status", "in_progress"}});
    ASSERT_TRUE(Call("inferences.execute", ExecuteParams()).ok());
  }
  Reopen();  // vaultd restarts: the ledger is reloaded
  layer_.OnJson("POST", kWsPath + "/inferences", 200,
                {{"inference_id", "run-4"}, {"status", "in_progress"}});
  ASSERT_TRUE(Call("inferences.execute", ExecuteParams()).ok());
  auto result = Call("inferences.execute", ExecuteParams());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("100 of 100 CU used, 0 CU remaining"));
  EXPECT_EQ(layer_.Count("POST", kWsPath + "/inferences"), 5);
}

TEST_F(RelayTest, ExecuteIsNeverRetried) {
  ScriptInference(5, "run-1", 503);
  auto result = Call("inferences.execute", ExecuteParams());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(layer_.Count("POST", kWsPath + "/inferences"), 1);
  // The run may have started: its estimate stays reserved.
  EXPECT_DOUBLE_EQ(spend_->Summary("1000").caller_spent, 5);
  layer_.On("POST", kWsPath + "/inferences", [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    absl::Status s = absl::UnavailableError("timeout");
    MarkTransient(s);
    return s;
  });
  EXPECT_EQ(Call("inferences.execute", ExecuteParams()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(layer_.Count("POST", kWsPath + "/inferences"), 2);
  EXPECT_DOUBLE_EQ(spend_->Summary("1000").caller_spent, 10);
}

TEST_F(RelayTest, RefusedExecuteReleasesReservation) {
  ScriptInference(5, "run-1", 404);
  auto result = Call("inferences.execute", ExecuteParams());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(common::ErrorTypeOf(result.status())->type, "MODEL_NOT_FOUND");
  EXPECT_DOUBLE_EQ(spend_->Summary("1000").caller_spent, 0);
}

TEST_F(RelayTest, InsufficientBalanceIsTyped) {
  ScriptInference(5);
  layer_.OnJson("POST", kWsPath + "/inferences", 402,
                {{"error", {{"code", "INSUFFICIENT_BALANCE"}, {"message", "need more"}}}});
  auto result = Call("inferences.execute", ExecuteParams());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(common::ErrorTypeOf(result.status())->type, "INSUFFICIENT_BALANCE");
  EXPECT_DOUBLE_EQ(spend_->Summary("1000").caller_spent, 0);
}

TEST_F(RelayTest, EstimateWithoutPriceRefusesToRun) {
  layer_.OnJson("POST", kWsPath + "/inferences/estimate", 200, {{"price", "cheap"}});
  ScriptInference(0);
  layer_.OnJson("POST", kWsPath + "/inferences/estimate", 200, {{"price", "cheap"}});
  auto result = Call("inferences.execute", ExecuteParams());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(common::ErrorTypeOf(result.status())->type, "BAD_RESPONSE");
  EXPECT_EQ(layer_.Count("POST", kWsPath + "/inferences"), 0);
}

TEST_F(RelayTest, FinishedRunRecordsActualChargeOnce) {
  ScriptInference(10);
  ASSERT_TRUE(Call("inferences.execute", ExecuteParams()).ok());
  json get = {{"workspace_id", kWs}, {"inference_id", "run-1"}};
  layer_.OnJson("GET", kWsPath + "/inferences/run-1", 200,
                {{"inference_id", "run-1"}, {"status", "in_progress"}});
  ASSERT_TRUE(Call("inferences.get", get).ok());
  EXPECT_DOUBLE_EQ(spend_->Summary("1000").caller_reserved, 10);
  layer_.OnJson("GET", kWsPath + "/inferences/run-1", 200,
                {{"inference_id", "run-1"},
                 {"status", "COMPLETE"},
                 {"actual_price_creative_units", 6.5}});
  auto result = Call("inferences.get", get);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->creative_units_charged, 0);
  EXPECT_DOUBLE_EQ(spend_->Summary("1000").caller_spent, 6.5);
  EXPECT_DOUBLE_EQ(spend_->Summary("1000").caller_reserved, 0);
  ASSERT_TRUE(Call("inferences.get", get).ok());  // polled again
  EXPECT_DOUBLE_EQ(spend_->Summary("1000").caller_spent, 6.5);
}

TEST_F(RelayTest, FailedRunIsNotCharged) {
  ScriptInference(10);
  ASSERT_TRUE(Call("inferences.execute", ExecuteParams()).ok());
  layer_.OnJson("GET", kWsPath + "/inferences/run-1", 200,
                {{"inference_id", "run-1"}, {"status", "failed"}});
  ASSERT_TRUE(Call("inferences.get", {{"workspace_id", kWs}, {"inference_id", "run-1"}}).ok());
  EXPECT_DOUBLE_EQ(spend_->Summary("1000").caller_spent, 0);
}

TEST_F(RelayTest, CompletedRunWithoutChargeKeepsReservedPrice) {
  ScriptInference(10);
  layer_.OnJson("POST", kWsPath + "/inferences", 200,
                {{"inference_id", "run-1"}, {"estimated_price_creative_units", 14}});
  auto result = Call("inferences.execute", ExecuteParams());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->creative_units_charged, 14);  // Layer.ai reserved more
  layer_.OnJson("GET", kWsPath + "/inferences/run-1", 200,
                {{"inference_id", "run-1"}, {"status", "complete"}});
  ASSERT_TRUE(Call("inferences.get", {{"workspace_id", kWs}, {"inference_id", "run-1"}}).ok());
  SpendSummary s = spend_->Summary("1000");
  EXPECT_DOUBLE_EQ(s.caller_spent, 14);
  EXPECT_DOUBLE_EQ(s.caller_reserved, 0);
}

TEST_F(RelayTest, WorkflowExecuteUsesItsEstimate) {
  const std::string wf = kWsPath + "/workflows/wf1";
  layer_.OnJson("POST", wf + "/estimate", 200, {{"estimated_price_creative_units", 3}});
  layer_.OnJson("POST", wf + "/runs", 200, {{"run_id", "wr1"}, {"status", "pending"}});
  auto result = Call("workflows.execute",
                     {{"workspace_id", kWs},
                      {"workflow_id", "wf1"},
                      {"body", {{"inputs", {{"a", 1}}}, {"session_name", "s"}}}});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(json::parse(layer_.requests()[0].body), json({{"inputs", {{"a", 1}}}}));
  layer_.OnJson("GET", wf + "/runs/wr1", 200,
                {{"status", "success"}, {"actual_price_creative_units", 2}});
  ASSERT_TRUE(Call("workflows.runs.get",
                   {{"workspace_id", kWs}, {"workflow_id", "wf1"}, {"run_id", "wr1"}})
                  .ok());
  EXPECT_DOUBLE_EQ(spend_->Summary("1000").caller_spent, 2);
}

TEST_F(RelayTest, ParallelExecutesCannotJointlyExceedBudget) {
  spend_options_.per_run_cap = 0;
  spend_options_.caller_period_budget = 10;
  Reopen();
  std::atomic<int> next{0};
  layer_.OnJson("POST", kWsPath + "/inferences/estimate", 200,
                {{"estimated_price_creative_units", 1}});
  layer_.On("POST", kWsPath + "/inferences", [&](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    r.status = 200;
    r.body = json{{"inference_id", absl::StrCat("run-", next++)}}.dump();
    return r;
  });
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) {
        if (Call("inferences.execute", ExecuteParams()).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(layer_.Count("POST", kWsPath + "/inferences"), 10);
}

TEST_F(RelayTest, CredentialRejectedMessage) {
  layer_.OnJson("GET", "/v1/workspaces", 401, {{"detail", "bad token"}});
  auto result = Call("workspaces.list", json::object());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("Layer.ai rejected the stored credential; rotate it with "
                        "vaultctl rotate"));
  EXPECT_EQ(layer_.Count("GET", "/v1/workspaces"), 1);  // not retried
}

TEST_F(RelayTest, UpstreamRateLimitCarriesRetryAfter) {
  layer_.On("GET", "/v1/workspaces", [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    r.status = 429;
    r.retry_after = "600";  // beyond the retry budget: returned at once
    r.body = R"({"code":"RATE_LIMITED"})";
    return r;
  });
  auto result = Call("workspaces.list", json::object());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(common::RetryAfterOf(result.status()), absl::Minutes(10));
  EXPECT_EQ(layer_.Count("GET", "/v1/workspaces"), 1);
}

TEST_F(RelayTest, PatNeverLeaksThroughErrorsOrBodies) {
  // A hostile upstream echoes the Authorization header everywhere.
  layer_.On("GET", "/v1/workspaces", [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    r.status = 400;
    r.body = json{{"message", absl::StrCat("bad header Bearer ", kPat)},
                  {"code", absl::StrCat("BAD_", kPat)}}
                 .dump();
    return r;
  });
  layer_.OnJson("GET", kWsPath, 200, {{"token", kPat}, {kPat, "as key"}});
  auto error = Call("workspaces.list", json::object());
  ASSERT_FALSE(error.ok());
  EXPECT_THAT(std::string(error.status().message()), Not(HasSubstr("RELAYTESTSECRET")));
  auto ok = Call("workspaces.get", {{"workspace_id", kWs}});
  ASSERT_TRUE(ok.ok());
  EXPECT_THAT(ok->body_json, Not(HasSubstr("RELAYTESTSECRET")));
  // Transport errors too.
  layer_.On("GET", "/v1/workspaces", [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    return absl::UnavailableError(absl::StrCat("oops ", kPat));
  });
  error = Call("workspaces.list", json::object());
  EXPECT_THAT(std::string(error.status().message()), Not(HasSubstr("RELAYTESTSECRET")));
}

TEST_F(RelayTest, BadParamsAreRefusedBeforeAnyRequest) {
  const struct {
    std::string op, params;
    const char* error;
  } cases[] = {
      {"workspaces.list", "[]", "JSON object"},
      {"workspaces.list", "{", "not valid JSON"},
      {"workspaces.list", R"({"limit":1,"limit":2})", "duplicate key"},
      {"workspaces.list", std::string(40, '[') + std::string(40, ']'), "deeper"},
      {"workspaces.list", absl::StrCat(R"({"cursor":")", std::string(70000, 'a'), "\"}"),
       "over the limit"},
      {"admin.delete_everything", "{}", "unknown operation"},
      {"workspaces.get", R"({"workspace_id":"../../admin"})", "workspace_id"},
      {"workspaces.get", R"({"workspace_id":"%2e%2e"})", "workspace_id"},
      {"workspaces.get", R"({"workspace_id":"a?b=c"})", "workspace_id"},
      {"workspaces.get", R"({"workspace_id":"a#b"})", "workspace_id"},
      {"workspaces.list", R"({"url":"https://evil.test/"})", "not allowed"},
  };
  for (const auto& c : cases) {
    auto result = relay_->Call(CallerKey{"1000"}, c.op, c.params, pat_);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.params;
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(c.error)) << c.params;
  }
  EXPECT_TRUE(layer_.requests().empty());
}

TEST_F(RelayTest, CallerRateLimitIsEnforced) {
  rate_per_second_ = 1;
  burst_ = 2;
  Reopen();
  layer_.OnJson("GET", "/v1/workspaces", 200, json::object());
  EXPECT_TRUE(Call("workspaces.list", json::object()).ok());
  EXPECT_TRUE(Call("workspaces.list", json::object()).ok());
  auto limited = Call("workspaces.list", json::object());
  EXPECT_EQ(limited.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(common::ErrorTypeOf(limited.status())->type, "CALLER_RATE_LIMITED");
  EXPECT_EQ(common::RetryAfterOf(limited.status()), absl::Seconds(1));
  EXPECT_TRUE(Call("workspaces.list", json::object(), "1001").ok());  // other uid
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(Call("workspaces.list", json::object()).ok());
  EXPECT_EQ(layer_.Count("GET", "/v1/workspaces"), 4);
}

TEST_F(RelayTest, GraphqlOperation) {
  layer_.On("POST", "https://layer.test/graphql", [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    r.status = 200;
    r.body = R"({"data":{"generatePrompt":{"__typename":"StringWrapper","value":"a castle"}}})";
    return r;
  });
  const std::string raw = absl::StrCat(R"({ "workspaceId" : ")", kWs, R"(" })");
  auto result = relay_->Call(CallerKey{"1000"}, "graphql.GeneratePrompt", raw, pat_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(json::parse(result->body_json)["data"]["generatePrompt"]["value"], "a castle");
  const auto requests = layer_.requests();
  const HttpRequest& sent = requests[0];
  EXPECT_EQ(sent.url, "https://layer.test/graphql");
  EXPECT_TRUE(absl::EndsWith(sent.body, absl::StrCat(R"("variables":)", raw, "}")));
  EXPECT_EQ(json::parse(sent.body)["operationName"], "GeneratePrompt");
}

TEST_F(RelayTest, GraphqlUnionErrorIsTyped) {
  layer_.On("POST", "https://layer.test/graphql", [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    r.status = 200;
    r.body = R"({"data":{"generatePrompt":{"__typename":"Error","type":"PAYMENT_REQUIRED_ERROR","code":"INSUFFICIENT_BALANCE","title":"t","message":"no credits"}}})";
    return r;
  });
  auto result = Call("graphql.GeneratePrompt", {{"workspaceId", kWs}});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(common::ErrorTypeOf(result.status())->type, "INSUFFICIENT_BALANCE");
  // Mutations are never retried.
  EXPECT_EQ(layer_.requests().size(), 1u);
}

TEST_F(RelayTest, NonJsonSuccessIsABadAnswer) {
  layer_.On("GET", "/v1/workspaces", [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    r.status = 200;
    r.body = "<html>captive portal</html>";
    return r;
  });
  auto result = Call("workspaces.list", json::object());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  layer_.OnJson("GET", "/v1/workspaces", 200, nullptr);
  layer_.On("GET", "/v1/workspaces", [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    r.status = 204;
    return r;
  });
  result = Call("workspaces.list", json::object());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->body_json, "null");
}

TEST_F(RelayTest, NoCredentialIsFailedPrecondition) {
  auto result = relay_->Call(CallerKey{"1000"}, "workspaces.list", "{}",
                             crypto::SecretBytes());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(layer_.requests().empty());
}

TEST(RelayCreateTest, RequiresEveryDependency) {
  EXPECT_EQ(Relay::Create({}, RelayDeps{}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The status's error type, or a description of an untyped status (so a
// wrong outcome fails the expectation instead of crashing the test).
std::string TypeOf(const absl::Status& status) {
  auto type = common::ErrorTypeOf(status);
  return type ? type->type : absl::StrCat("untyped: ", status.ToString());
}

TEST_F(RelayTest, CallerLimitsOverrideCapBudgetAndRate) {
  // Defaults (SetUp): per-run cap 20, caller budget 100, 100 requests/s.
  CallerKey tight{"1000"};
  tight.limits.per_run_cap = 5;
  tight.limits.period_budget = 8;
  tight.limits.requests_per_second = 1;
  tight.limits.burst = 3;
  CallerKey loose{"2000"};
  loose.limits.per_run_cap = 50;
  loose.limits.period_budget = 500;

  ScriptInference(12);
  auto capped = relay_->Call(tight, "inferences.execute",
                             ExecuteParams().dump(), pat_);
  EXPECT_EQ(TypeOf(capped.status()), "RUN_CAP_EXCEEDED");
  EXPECT_THAT(std::string(capped.status().message()),
              HasSubstr("above the per-run cap of 5 CU"));
  EXPECT_EQ(layer_.Count("POST", kWsPath + "/inferences"), 0);

  ScriptInference(34);  // above the default cap of 20
  auto big = relay_->Call(loose, "inferences.execute", ExecuteParams().dump(),
                          pat_);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_DOUBLE_EQ(spend_->Summary("2000", loose.limits).caller_spent, 34);

  ScriptInference(5);
  ASSERT_TRUE(
      relay_->Call(tight, "inferences.execute", ExecuteParams().dump(), pat_)
          .ok());
  // The third request of the tight caller's burst of 3.
  auto over_budget =
      relay_->Call(tight, "inferences.execute", ExecuteParams().dump(), pat_);
  EXPECT_EQ(TypeOf(over_budget.status()), "BUDGET_EXCEEDED");
  EXPECT_THAT(std::string(over_budget.status().message()),
              HasSubstr("5 of 8 CU used, 3 CU remaining"));
  // Its burst of 3 is used up; the default caller's 100 are not.
  auto limited = relay_->Call(tight, "workspaces.list", "{}", pat_);
  EXPECT_EQ(TypeOf(limited.status()), "CALLER_RATE_LIMITED");
  EXPECT_EQ(common::RetryAfterOf(limited.status()), absl::Seconds(1));
  layer_.OnJson("GET", "/v1/workspaces", 200, json::object());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Call("workspaces.list", json::object(), "3000").ok());
  }
  EXPECT_EQ(layer_.Count("POST", kWsPath + "/inferences"), 2);
}

}  // namespace
}  // namespace layer_vault::relay
