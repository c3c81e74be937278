package io.runnerfleet.examples.cli;

import io.runnerfleet.RunnerName;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.RunnerBackend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The fleets one {@code .env}'s runners live in: the fleet itself ({@code main}) and, for each pool that
 * {@code serve} drives by a runner scale set, that pool's own fleet {@code <fleet>-<pool>} (see
 * {@link ServeScaleSet}). The commands that act on existing runners look in all of them.
 *
 * @param main the fleet of {@code RUNNER_NAME_PREFIX}
 * @param scaleSets each scale-set pool's fleet name, by pool name, in declaration order
 */
record FleetNames(String main, Map<String, String> scaleSets) {
    FleetNames {
        scaleSets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(scaleSets));
    }

    /** Only {@code main}: no scale-set pool. */
    static FleetNames of(String main) {
        return new FleetNames(main, Map.of());
    }

    /** The main fleet and the scale-set pools' fleets of {@code pools}. */
    static FleetNames of(String main, List<String> pools) {
        Map<String, String> sets = new LinkedHashMap<>();
        pools.forEach(p -> sets.put(p, ServeScaleSet.fleetName(main, p)));
        return new FleetNames(main, sets);
    }

    /** Every fleet name, the main fleet first. */
    List<String> all() {
        List<String> all = new ArrayList<>();
        all.add(main);
        all.addAll(scaleSets.values());
        return all;
    }

    /** Whether there is more than the main fleet. */
    boolean several() {
        return !scaleSets.isEmpty();
    }

    /** The fleets for messages: {@code fleet a} or {@code fleets a, a-runner}. */
    String describe() {
        return (several() ? "fleets " : "fleet ") + String.join(", ", all());
    }

    /** Every instance of every fleet, the main fleet's first. */
    List<InstanceInfo> instances(RunnerBackend backend) {
        List<InstanceInfo> instances = new ArrayList<>();
        all().forEach(f -> instances.addAll(backend.instances(f)));
        return instances;
    }

    /**
     * The fleet a runner name belongs to, if any: a scale-set pool's fleet when the name is one that fleet gives
     * its runners ({@code <fleet>-<pool>-<n>-<suffix>}), else the main fleet when it starts with its name (as it
     * always did: runners named by hand under the prefix count).
     */
    Optional<String> owner(String runnerName) {
        String name = runnerName.toLowerCase(Locale.ROOT);
        for (Map.Entry<String, String> set : scaleSets.entrySet()) {
            if (RunnerName.parse(set.getValue(), List.of(set.getKey()), name).isPresent()) {
                return Optional.of(set.getValue());
            }
        }
        return RunnerTable.ours(main, name) ? Optional.of(main) : Optional.empty();
    }
}
