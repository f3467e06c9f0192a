/**
 * Words of a text as the full-text rules read them: lowercase runs of 3 or more letters or
 * digits, without the commonest short words, which match almost anything and say nothing.
 * One reading for memory recall and for skill routing.
 */
export const COMMON_WORDS: ReadonlySet<string> = new Set(
  "the and for with that this from into about your you are was were its all any our out then than them they their has have had not but can will what when who how why which also just".split(" "),
)

/** Whether `word` (already lowercase) carries meaning for matching. */
export const isMeaningful = (word: string): boolean => word.length >= 3 && !COMMON_WORDS.has(word)

/** The meaningful words of `text`, in order, repeats kept. */
export function meaningfulWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []).filter(isMeaningful)
}
