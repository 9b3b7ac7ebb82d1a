/* Docker's generated container names: an adjective and a notable scientist or engineer
 * (a subset of moby's namesgenerator lists, written out here, not copied code). */
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

#include "engine/engine.h"

static const char *const left[] = {
    "admiring",  "adoring",       "affectionate", "agitated",      "amazing",     "angry",       "awesome",
    "beautiful", "blissful",      "bold",         "boring",        "brave",       "busy",        "charming",
    "clever",    "compassionate", "competent",    "condescending", "confident",   "cool",        "cranky",
    "crazy",     "dazzling",      "determined",   "distracted",    "dreamy",      "eager",       "ecstatic",
    "elastic",   "elated",        "elegant",      "eloquent",      "epic",        "exciting",    "fervent",
    "festive",   "flamboyant",    "focused",      "friendly",      "frosty",      "funny",       "gallant",
    "gifted",    "goofy",         "gracious",     "great",         "happy",       "hardcore",    "heuristic",
    "hopeful",   "hungry",        "infallible",   "inspiring",     "intelligent", "interesting", "jolly",
    "jovial",    "keen",          "kind",         "laughing",      "loving",      "lucid",       "magical",
    "modest",    "musing",        "mystifying",   "naughty",       "nervous",     "nice",        "nifty",
    "nostalgic", "objective",     "optimistic",   "peaceful",      "pedantic",    "pensive",     "practical",
    "priceless", "quirky",        "quizzical",    "recursing",     "relaxed",     "reverent",    "romantic",
    "sad",       "serene",        "sharp",        "silly",         "sleepy",      "stoic",       "strange",
    "stupefied", "suspicious",    "sweet",        "tender",        "thirsty",     "trusting",    "unruffled",
    "upbeat",    "vibrant",       "vigilant",     "vigorous",      "wizardly",    "wonderful",   "xenodochial",
    "youthful",  "zealous",       "zen",
};

static const char *const right[] = {
    "agnesi",        "albattani",  "allen",      "almeida",  "archimedes",  "ardinghelli", "aryabhata",    "austin",
    "babbage",       "banach",     "bardeen",    "bartik",   "bassi",       "bell",        "benz",         "bhabha",
    "bohr",          "booth",      "borg",       "bose",     "brahmagupta", "brattain",    "brown",        "carson",
    "chandrasekhar", "chatelet",   "chatterjee", "clarke",   "colden",      "cori",        "cray",         "curie",
    "darwin",        "davinci",    "dijkstra",   "dubinsky", "easley",      "einstein",    "elion",        "engelbart",
    "euclid",        "euler",      "fermat",     "fermi",    "feynman",     "franklin",    "galileo",      "gates",
    "goldberg",      "goldstine",  "goodall",    "hamilton", "hawking",     "heisenberg",  "hermann",      "hertz",
    "hodgkin",       "hofstadter", "hoover",     "hopper",   "hypatia",     "jackson",     "jang",         "jennings",
    "jepsen",        "johnson",    "joliot",     "kalam",    "keldysh",     "kepler",      "khorana",      "kilby",
    "knuth",         "kowalevski", "lalande",    "lamarr",   "lamport",     "leakey",      "leavitt",      "lehmann",
    "lewin",         "liskov",     "lovelace",   "lumiere",  "mahavira",    "margulis",    "maxwell",      "mccarthy",
    "mcclintock",    "meitner",    "mendel",     "merkle",   "minsky",      "mirzakhani",  "moore",        "morse",
    "napier",        "nash",       "neumann",    "newton",   "nobel",       "noether",     "northcutt",    "noyce",
    "pascal",        "pasteur",    "payne",      "perlman",  "pike",        "poincare",    "ptolemy",      "raman",
    "ramanujan",     "ride",       "ritchie",    "rosalind", "sammet",      "shannon",     "shockley",     "sinoussi",
    "stonebraker",   "swanson",    "tesla",      "thompson", "torvalds",    "turing",      "varahamihira", "villani",
    "volhard",       "wescoff",    "wiles",      "williams", "wilson",      "wing",        "wozniak",      "wright",
    "yalow",         "yonath",
};

void hull_random_name(char *out, size_t len) {
  unsigned r[2] = {0, 0};
  if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
    /* getrandom cannot fail for 8 bytes once the pool is ready; a fixed pick is still a
     * valid name, and a collision only makes the caller pick again. */
    r[0] = 0;
    r[1] = 0;
  }
  const char *l = left[r[0] % (sizeof(left) / sizeof(left[0]))];
  const char *rt = right[r[1] % (sizeof(right) / sizeof(right[0]))];
  /* Docker's one exception: Steve Wozniak is not boring. */
  if (r[0] % (sizeof(left) / sizeof(left[0])) == 10 && rt[0] == 'w' && rt[1] == 'o')
    l = "bold";
  snprintf(out, len, "%s_%s", l, rt);
}

int hull_new_id(char out[65], hull_err *err) {
  unsigned char b[32];
  if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
    return hull_error_sys(err, "getrandom");
  for (size_t i = 0; i < sizeof(b); i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
  return 0;
}
