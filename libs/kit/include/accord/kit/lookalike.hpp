// SPDX-License-Identifier: Apache-2.0
// accord/kit/lookalike.hpp — which record, among those that look like what a
// create sent, a lost try of that create made: for a store that keeps no key
// with its records (HighLevel's notes, Outlook's notes), where a resend or a
// lost answer can only look for the record by its content.
//
// A look-alike is taken for the try's only when it is the one made in the
// try's time: from when the first try that may have written was sent (the
// host's first_sent_at on a resend; this call's send time after a lost
// answer) less a skew for the clocks, to when the latest try returned
// (sent_at; now) plus that skew. A look-alike made outside that time is the
// user's, never the create's. More than one made in it, one whose store
// gives no time, or a try whose start is not known (an older host, a create
// kept before the host told it): which one, if any, the try made cannot be
// told, so none is taken and the create waits (a retry; accord status lists
// it): a user's record taken for the create's would be linked, and deleted
// with its source (review s11 F1, F6).
//
// Part of the connector kit (C++17). Thread safety: pure functions.
#ifndef ACCORD_KIT_LOOKALIKE_HPP
#define ACCORD_KIT_LOOKALIKE_HPP

#include <accord/kit/ops.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace accord::kit {

// How far the store's clock may be from the host's.
inline constexpr int64_t kLookAlikeSkewS = 300;

// When a try of a create may have made its record, in milliseconds since
// the epoch.
struct TryTime {
  std::optional<int64_t> from_ms;   // none: not known (nothing can be told the try's)
  std::optional<int64_t> until_ms;  // none: no end known
  std::string from_text() const;    // RFC 3339 UTC ("" when not known)
};

// A resend's: first_sent_at less the skew to sent_at plus it (either left
// out by the host: not known / no end).
TryTime resend_time(const Op& op, int64_t skew_s = kLookAlikeSkewS);
// A try this call made whose answer was lost: from `sent_ms` (taken before
// it was sent) less the skew to now plus it.
TryTime call_time(int64_t sent_ms, int64_t skew_s = kLookAlikeSkewS);
// Milliseconds since the epoch now.
int64_t now_ms();

// `made_ms`: for each look-alike (a record whose content equals what the
// create sent), when its store says it was made (none: the store does not
// say). Answers the index of the one made in `t`; none when no look-alike
// was made then (the create's try made nothing that can be found: it may
// be sent). Throws, when it cannot tell (several made in `t`, one without a
// time, `t`'s start not known while any look-alike exists), a plain
// accord::Error(ACCORD_RETRY) — or MaybeWritten when `after_loss` (a write
// of this call whose answer was lost) — saying so; `what` names the
// record for that message ("note \"Call back\"").
std::optional<size_t> made_by_try(const std::vector<std::optional<int64_t>>& made_ms, const TryTime& t, bool after_loss,
                                  const std::string& what, int64_t retry_after_ms = 300000);

}  // namespace accord::kit

#endif
