package duplex.live;

import java.time.Duration;
import java.util.Set;

/**
 * What a namespace's channels allow: the policy of every channel whose name starts with it.
 *
 * @param name          the namespace ({@code news}, {@code comments}, ...)
 * @param clientPublish subscribers may publish (otherwise only the HTTP API does)
 * @param history       publications a channel keeps for subscribers who arrive or come back
 * @param historyAge    how long a publication stays in the history
 * @param presence      who is subscribed is kept and can be asked for ({@code GET .../presence})
 * @param conflate      only the latest publication matters: a subscriber that falls behind gets
 *                      the newest one, not every one (as /quotes does)
 * @param authenticated subscribing (and publishing) needs a user the container authenticated
 * @param apiKeys       the API keys (by name) that may publish here; empty: every key
 */
public record Namespace(String name, boolean clientPublish, int history, Duration historyAge, boolean presence,
                        boolean conflate, boolean authenticated, Set<String> apiKeys) {

    public Namespace {
        apiKeys = Set.copyOf(apiKeys);
    }

    /** Whether the API key called {@code keyName} may use this namespace. */
    public boolean allowsKey(String keyName) {
        return apiKeys.isEmpty() || apiKeys.contains(keyName);
    }
}
