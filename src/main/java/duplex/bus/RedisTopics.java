package duplex.bus;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The bus's topics: the channels {@code duplex:topic:NAME}, this node's receivers of each, and
 * their subscription, which lasts while a topic has a receiver.
 */
final class RedisTopics {

    private static final String TOPIC_PREFIX = RedisConnection.PREFIX + "topic:";

    private final RedisConnection redis;
    private final Map<String, List<Consumer<String>>> topics = new ConcurrentHashMap<>();

    RedisTopics(RedisConnection redis) {
        this.redis = redis;
    }

    Topic topic(String name, Consumer<String> receiver) {
        String channel = TOPIC_PREFIX + name;
        List<Consumer<String>> receivers = topics.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>());
        boolean first = receivers.isEmpty();
        receivers.add(receiver);
        if (first) {
            redis.subscribeSoon(channel);
        }
        return new Topic() {
            @Override
            public boolean publish(String message) {
                return redis.publish(channel, message);
            }

            @Override
            public void close() {
                receivers.remove(receiver);
                if (receivers.isEmpty()) {
                    redis.unsubscribe(channel);
                }
            }
        };
    }

    /** The channels of the topics that have (or had) a receiver here. */
    List<String> channels() {
        return new ArrayList<>(topics.keySet());
    }

    /** True for a topic's channel (any other is a room's). */
    static boolean isTopic(String channel) {
        return channel.startsWith(TOPIC_PREFIX);
    }

    /** A message on a topic's channel, to its receivers here; on the events thread. */
    void deliver(String channel, String message) {
        for (Consumer<String> receiver : topics.getOrDefault(channel, List.of())) {
            receiver.accept(message);
        }
    }
}
