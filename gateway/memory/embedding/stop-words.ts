// A small generic English stop-word list (function words, pronouns, auxiliaries, question words),
// close to NLTK's. The hashing embedder has no corpus statistics (no IDF), so without this list
// "what", "my" and "is" would weigh as much as "sister" or "peanuts" and every question would look
// like every other question. Content words stay, even common ones: the list is generic on purpose,
// not fitted to any test set.
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being ' +
    'below between both but by can could did do does doing done down during each else ever few for from ' +
    'further get got had has have having he her here hers herself him himself his how however i if in ' +
    'into is it its itself just let me might more most much must my myself no nor not now of off on once ' +
    'only or other our ours ourselves out over own same shall she should so some such than that the their ' +
    'theirs them themselves then there these they this those through to too under until up upon us very ' +
    'was we were what whatever when where which while who whom whose why will with would yes yet you your ' +
    'yours yourself yourselves ok okay oh hey hi hello please thanks thank really'
  ).split(' '),
);
