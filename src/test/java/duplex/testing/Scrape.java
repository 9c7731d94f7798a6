package duplex.testing;

import org.hawkular.agent.prometheus.text.TextPrometheusMetricsProcessor;
import org.hawkular.agent.prometheus.types.Counter;
import org.hawkular.agent.prometheus.types.Gauge;
import org.hawkular.agent.prometheus.types.Histogram;
import org.hawkular.agent.prometheus.types.Metric;
import org.hawkular.agent.prometheus.types.MetricFamily;
import org.hawkular.agent.prometheus.types.MetricType;
import org.hawkular.agent.prometheus.types.Summary;
import org.hawkular.agent.prometheus.walkers.CollectorPrometheusMetricsWalker;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code /metrics} scrape, parsed by a Prometheus text-format parser from a library
 * (Hawkular's prometheus-scraper), the way a scraper reads it. That parser skips lines it cannot
 * read instead of failing, so {@link #parse} also checks that every sample line of the text
 * came out as a sample: a malformed line fails the test instead of vanishing.
 */
public final class Scrape {

    private final Map<String, MetricFamily> families = new LinkedHashMap<>();

    private Scrape(List<MetricFamily> parsed) {
        parsed.forEach(family -> families.put(family.getName(), family));
    }

    public static Scrape parse(String text) {
        CollectorPrometheusMetricsWalker walker = new CollectorPrometheusMetricsWalker();
        new TextPrometheusMetricsProcessor(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), walker).walk();
        List<MetricFamily> parsed = walker.getAllMetricFamilies();
        if (parsed == null) {
            throw new AssertionError("the parser read no metric family from:\n" + text);
        }
        long sampleLines = text.lines().filter(line -> !line.isBlank() && !line.startsWith("#")).count();
        long samples = parsed.stream().flatMap(f -> f.getMetrics().stream()).mapToLong(Scrape::sampleLines).sum();
        if (sampleLines != samples) {
            throw new AssertionError("the parser kept " + samples + " of " + sampleLines + " sample lines:\n" + text);
        }
        return new Scrape(parsed);
    }

    private static long sampleLines(Metric metric) {
        if (metric instanceof Histogram histogram) {
            return histogram.getBuckets().size() + 2L; // _bucket lines, _count, _sum
        }
        if (metric instanceof Summary summary) {
            return summary.getQuantiles().size() + 2L;
        }
        return 1;
    }

    public Map<String, MetricFamily> families() {
        return families;
    }

    public Optional<MetricFamily> family(String name) {
        return Optional.ofNullable(families.get(name));
    }

    public MetricType type(String family) {
        return require(family).getType();
    }

    /**
     * The value of the counter or gauge sample of {@code family} whose labels include every
     * {@code name, value} pair given; fails when there is none.
     */
    public double value(String family, String... labels) {
        return find(family, labels).orElseThrow(() -> new AssertionError(
                "no sample " + family + " " + List.of(labels) + " in " + families.keySet()));
    }

    /** The value, or 0 when the sample does not exist (yet): for counters created on first use. */
    public double valueOrZero(String family, String... labels) {
        return find(family, labels).orElse(0.0);
    }

    /** The sum of every counter or gauge sample of {@code family} whose labels match (0 when none). */
    public double sum(String family, String... labels) {
        MetricFamily metrics = families.get(family);
        double sum = 0;
        if (metrics != null) {
            for (Metric metric : metrics.getMetrics()) {
                if (matches(metric, labels)) {
                    sum += metric instanceof Counter c ? c.getValue() : metric instanceof Gauge g ? g.getValue() : 0;
                }
            }
        }
        return sum;
    }

    /** Observations of a histogram sample. */
    public long histogramCount(String family, String... labels) {
        for (Metric metric : require(family).getMetrics()) {
            if (matches(metric, labels) && metric instanceof Histogram histogram) {
                return histogram.getSampleCount();
            }
        }
        throw new AssertionError("no histogram " + family + " " + List.of(labels));
    }

    private Optional<Double> find(String family, String... labels) {
        MetricFamily metrics = families.get(family);
        if (metrics == null) {
            return Optional.empty();
        }
        for (Metric metric : metrics.getMetrics()) {
            if (matches(metric, labels)) {
                if (metric instanceof Counter counter) {
                    return Optional.of(counter.getValue());
                }
                if (metric instanceof Gauge gauge) {
                    return Optional.of(gauge.getValue());
                }
            }
        }
        return Optional.empty();
    }

    private MetricFamily require(String family) {
        MetricFamily metrics = families.get(family);
        if (metrics == null) {
            throw new AssertionError("no metric family " + family + " in " + families.keySet());
        }
        return metrics;
    }

    private static boolean matches(Metric metric, String... labels) {
        for (int i = 0; i + 1 < labels.length; i += 2) {
            if (!labels[i + 1].equals(metric.getLabels().get(labels[i]))) {
                return false;
            }
        }
        return true;
    }
}
