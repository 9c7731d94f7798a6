package duplex.guard;

import duplex.testing.RawWebSocket;
import duplex.testing.ServerUnderTest;
import duplex.testing.TomcatServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Container-managed identity at the handshake, on Tomcat with a users file (alice is staff, bob
 * is not): staff rooms need the role, credentials anywhere are checked.
 */
class IdentityIT {

    private static TomcatServer tomcat;

    @BeforeAll
    static void start() {
        tomcat = ServerUnderTest.tomcat(Map.of(), Path.of("src/test/resources/duplex/guard/tomcat-users.xml"));
    }

    @AfterAll
    static void stop() {
        tomcat.close();
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static RawWebSocket.Response handshake(URI uri, String authorization) {
        return RawWebSocket.answerTo(uri, authorization);
    }

    @Test
    void aStaffRoomChallengesAnonymousUsers() {
        RawWebSocket.Response response = handshake(tomcat.ws("chat/staff-ops"), null);
        assertEquals(401, response.status(), response.statusLine());
        assertTrue(String.valueOf(response.header("WWW-Authenticate")).startsWith("Basic"), response.headers().toString());
        // Case and encoding do not get around it.
        assertEquals(401, handshake(tomcat.ws("chat/Staff-ops"), null).status());
        assertEquals(401, handshake(URI.create(tomcat.ws("chat/").toString() + "%73taff-ops"), null).status());
    }

    /** The spellings Tomcat maps to /chat/{room} with room=staff-ops, written raw (URI.resolve would normalise them). */
    static final java.util.List<String> MAPPED_SPELLINGS = java.util.List.of("chat/staff-ops/", "chat/staff-ops/?name=mallory",
            "chat//staff-ops", "chat/staff-ops;x=1", "chat/./staff-ops", "chat/lobby/../staff-ops", "chat/%73taff-ops/",
            "chat/staff-ops//", "chat;x=1/staff-ops");
    /** Encoded slashes: Tomcat refuses them (400) by default, before any filter; never an upgrade either way. */
    static final java.util.List<String> ENCODED_SLASHES = java.util.List.of("chat%2Fstaff-ops", "chat/staff-ops%2F", "chat%2fstaff-ops%2f");

    private static URI raw(String path) {
        return URI.create(tomcat.ws("").toString() + path);
    }

    @Test
    void everySpellingOfAStaffRoomNeedsTheRole() {
        for (String path : MAPPED_SPELLINGS) {
            RawWebSocket.Response anonymous = handshake(raw(path), null);
            assertEquals(401, anonymous.status(), path + ": " + anonymous.statusLine());
            assertEquals(403, handshake(raw(path), basic("bob", "bob-secret")).status(), path);
            assertEquals(101, handshake(raw(path), basic("alice", "alice-secret")).status(), path);
        }
        for (String path : ENCODED_SLASHES) {
            int anonymous = handshake(raw(path), null).status();
            assertTrue(anonymous == 400 || anonymous == 401 || anonymous == 404, path + " answered " + anonymous);
            int bob = handshake(raw(path), basic("bob", "bob-secret")).status();
            assertTrue(bob == 400 || bob == 403 || bob == 404, path + " answered " + bob + " for bob");
        }
    }

    @Test
    void aTrailingSlashGetsAliceIntoTheRoomSheIsAllowedIn() {
        try (duplex.testing.WsClient alice = duplex.testing.WsClient.connect(raw("chat/staff-slash/?name=x"),
                Map.of("Authorization", basic("alice", "alice-secret")))) {
            jakarta.json.JsonObject welcome = next(alice);
            assertEquals("welcome", welcome.getString("type"));
            assertEquals("staff-slash", welcome.getString("room"), "the room Tomcat matched: " + welcome);
            assertTrue(welcome.getJsonObject("you").getBoolean("verified"));
        }
    }

    @Test
    void aStaffRoomRefusesUsersWithoutTheRole() {
        assertEquals(403, handshake(tomcat.ws("chat/staff-ops"), basic("bob", "bob-secret")).status());
    }

    @Test
    void wrongCredentialsAreRefusedAnywhere() {
        assertEquals(401, handshake(tomcat.ws("chat/staff-ops"), basic("alice", "wrong")).status());
        assertEquals(401, handshake(tomcat.ws("echo"), basic("alice", "wrong")).status());
    }

    @Test
    void credentialsAreOptionalElsewhere() {
        assertEquals(101, handshake(tomcat.ws("echo"), null).status());
        assertEquals(101, handshake(tomcat.ws("echo"), basic("bob", "bob-secret")).status());
    }

    /** Each client's changes one by one, presence messages taken apart ({@link duplex.testing.ChatEvents}). */
    private static final Map<duplex.testing.WsClient, duplex.testing.ChatEvents.Reader> READERS =
            java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    private static jakarta.json.JsonObject next(duplex.testing.WsClient client) {
        return READERS.computeIfAbsent(client, duplex.testing.ChatEvents.Reader::new).next();
    }


    @Test
    void aSignedInMemberIsVerifiedKeepsTheLoginNameAndCannotRename() {
        try (duplex.testing.WsClient alice = duplex.testing.WsClient.connect(tomcat.ws("chat/staff-ops?name=Mallory"),
                Map.of("Authorization", basic("alice", "alice-secret")))) {
            jakarta.json.JsonObject welcome = next(alice);
            assertEquals("welcome", welcome.getString("type"));
            assertEquals("alice", welcome.getJsonObject("you").getString("name"), "the login, not ?name=");
            assertTrue(welcome.getJsonObject("you").getBoolean("verified"));

            alice.send("{\"type\":\"rename\",\"name\":\"bob\"}");
            jakarta.json.JsonObject refused = next(alice);
            assertEquals("error", refused.getString("type"));
            assertEquals("invalid", refused.getString("code"));

            alice.send("{\"type\":\"say\",\"text\":\"hello staff\"}");
            jakarta.json.JsonObject said = next(alice);
            assertEquals("message", said.getString("type"));
            assertEquals("alice", said.getJsonObject("from").getString("name"));
            assertTrue(said.getJsonObject("from").getBoolean("verified"), "the mark travels with every message");
        }
    }

    @Test
    void bobIsVerifiedInAnOpenRoomAndAnonymousMembersAreNot() {
        try (duplex.testing.WsClient bob = duplex.testing.WsClient.connect(tomcat.ws("chat/lobby-identity?name=Robert"),
                Map.of("Authorization", basic("bob", "bob-secret")))) {
            jakarta.json.JsonObject bobWelcome = next(bob); // bob is in the room from here on
            assertEquals("bob", bobWelcome.getJsonObject("you").getString("name"));
            assertTrue(bobWelcome.getJsonObject("you").getBoolean("verified"));
            try (duplex.testing.WsClient guest = duplex.testing.WsClient.connect(tomcat.ws("chat/lobby-identity?name=Rob"))) {
                guestMeetsVerifiedBob(bob, guest);
            }
        }
    }

    private static void guestMeetsVerifiedBob(duplex.testing.WsClient bob, duplex.testing.WsClient guest) {
        jakarta.json.JsonObject guestWelcome = next(guest);
        assertEquals("Rob", guestWelcome.getJsonObject("you").getString("name"));
        assertTrue(!guestWelcome.getJsonObject("you").containsKey("verified"), "a chosen name is not verified");
        // Others see the mark too: the guest's member list shows bob verified...
        jakarta.json.JsonObject bobAsListed = guestWelcome.getJsonArray("members").stream()
                .map(jakarta.json.JsonValue::asJsonObject)
                .filter(m -> m.getString("name").equals("bob"))
                .findFirst().orElseThrow();
        assertTrue(bobAsListed.getBoolean("verified"), guestWelcome.toString());
        // ...and bob hears the guest join, unverified.
        jakarta.json.JsonObject guestJoined = next(bob);
        assertEquals("joined", guestJoined.getString("type"));
        assertTrue(!guestJoined.getJsonObject("member").containsKey("verified"), guestJoined.toString());
        // The guest may rename, and bob's messages carry the mark to the guest.
        guest.send("{\"type\":\"rename\",\"name\":\"Bobby\"}");
        String renamed = next(guest).toString();
        assertTrue(renamed.contains("Bobby"), renamed);
        bob.send("{\"type\":\"say\",\"text\":\"hi\"}");
        jakarta.json.JsonObject heard = next(guest);
        assertEquals("message", heard.getString("type"));
        assertTrue(heard.getJsonObject("from").getBoolean("verified"), heard.toString());
    }

    /**
     * Issue 14, finding 7: a guest may not choose a name that looks like a signed-in member's in
     * the room (UTS #39 skeletons, case included), neither at open nor by rename.
     */
    @Test
    void aGuestCannotTakeALookalikeOfASignedInMembersName() {
        String room = "chat/lookalikes-" + Long.toHexString(System.nanoTime());
        try (duplex.testing.WsClient alice = duplex.testing.WsClient.connect(tomcat.ws(room),
                Map.of("Authorization", basic("alice", "alice-secret")))) {
            assertTrue(next(alice).getJsonObject("you").getBoolean("verified"));
            // Cyrillic а, the digit 1 for l, and other case: each would pass for alice on the page.
            for (String lookalike : new String[] {"\u0430lice", "a1ice", "ALICE", "Alice"}) {
                try (duplex.testing.WsClient guest = duplex.testing.WsClient.connect(tomcat.ws(room + "?name="
                        + java.net.URLEncoder.encode(lookalike, StandardCharsets.UTF_8)))) {
                    duplex.testing.WsClient.Closed closed = guest.awaitClose();
                    assertEquals(1008, closed.code(), lookalike);
                    assertEquals("name taken by a signed-in member", closed.reason(), lookalike);
                }
            }
            try (duplex.testing.WsClient guest = duplex.testing.WsClient.connect(tomcat.ws(room + "?name=Alicia"))) {
                jakarta.json.JsonObject welcome = next(guest);
                assertEquals("Alicia", welcome.getJsonObject("you").getString("name"), "a different name is fine");
                for (String lookalike : new String[] {"ALICE", "\u0430lice", "AIice"}) {
                    guest.send(jakarta.json.Json.createObjectBuilder().add("type", "rename").add("name", lookalike).build().toString());
                    jakarta.json.JsonObject refused = next(guest);
                    assertEquals("error", refused.getString("type"), lookalike + ": " + refused);
                    assertEquals("invalid", refused.getString("code"));
                    assertTrue(refused.getString("message").contains("signed-in member"), refused.toString());
                }
                guest.send("{\"type\":\"rename\",\"name\":\"Ali\"}");
                jakarta.json.JsonObject renamed = next(guest);
                assertEquals("renamed", renamed.getString("type"), renamed.toString());
                assertEquals("Ali", renamed.getJsonObject("member").getString("name"));
            }
            // Alice saw the one guest come, rename once, and go; none of the refused ones.
            assertEquals("joined", next(alice).getString("type"));
            assertEquals("renamed", next(alice).getString("type"));
            assertEquals("left", next(alice).getString("type"));
        }
    }
}
