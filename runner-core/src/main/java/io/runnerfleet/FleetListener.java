package io.runnerfleet;

/**
 * Receives a fleet's {@link FleetEvent}s.
 *
 * <pre>{@code
 * FleetListener printing = event -> System.out.println(event);
 * }</pre>
 *
 * <p>Called on the fleet's own threads, one event at a time per fleet, in the order they happened;
 * return quickly. An exception a listener throws is logged and does not stop the fleet or delivery to
 * other listeners.
 */
@FunctionalInterface
public interface FleetListener {
    /** Called for every event. */
    void onEvent(FleetEvent event);
}
