package duplex.chat;

import com.ibm.icu.lang.UCharacter;
import com.ibm.icu.text.SpoofChecker;

/**
 * Whether two names would look alike on the page: the confusable skeletons of UTS #39 (Unicode
 * Security Mechanisms), from ICU's {@link SpoofChecker}. {@code аlice} with a Cyrillic {@code а},
 * {@code a1ice} and {@code alice} share a skeleton; so do {@code rn} and {@code m}.
 *
 * <p>A UTS #39 skeleton keeps case, but the page shows {@code ALICE} and {@code alice} side by
 * side as the same person, so case counts as looking alike too. Folding case and mapping to the
 * skeleton do not commute ({@code I} maps to {@code l}, so {@code ALICE} only meets {@code alice}
 * when folded first; Cyrillic {@code Н} maps to {@code H}, so {@code Нello} only meets
 * {@code hello} when folded after), so a name has two keys, one per order, and two names look
 * alike when either key is the same.
 */
final class Lookalikes {

    /**
     * One checker for the application: immutable once built, and its documentation says that its
     * methods may be called concurrently from many threads. Building it loads ICU's confusables
     * data, once.
     */
    private static final SpoofChecker CHECKER = new SpoofChecker.Builder().build();

    /** A name's two skeletons: folded then mapped, and mapped then folded. */
    record Key(String foldedFirst, String foldedAfter) {

        boolean looksLike(Key other) {
            return foldedFirst.equals(other.foldedFirst) || foldedAfter.equals(other.foldedAfter);
        }
    }

    private Lookalikes() {
    }

    static Key key(String name) {
        return new Key(CHECKER.getSkeleton(UCharacter.foldCase(name, true)),
                UCharacter.foldCase(CHECKER.getSkeleton(name), true));
    }

    static boolean alike(String a, String b) {
        return key(a).looksLike(key(b));
    }
}
