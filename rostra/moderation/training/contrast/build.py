"""Writes Rostra's own contrast sentences to the ``*.jsonl`` files beside this script.

Every sentence here was written for Rostra; none comes from a public data set. Run
``python -m rostra.moderation.training.contrast.build`` to regenerate the files (the output
is deterministic and committed). Each line: text, the four labels (0/1), ``kind`` (what the
sentence tests) and ``group`` (sentences from one template share a group, and the training
run splits by group, so a held-out template is never seen in training in any form).
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ----------------------------------------------------------------------------------------------
# People and offices a threat may be aimed at (political violence is what Parler missed).
TARGETS = [
    "the senator", "the governor", "the mayor", "the judge", "the president", "the police",
    "those cops", "the journalists", "that reporter", "the congresswoman", "the election workers",
    "the liberals", "the conservatives", "my neighbor", "my ex", "the school board",
    "the protesters", "the CEO", "the prime minister", "the sheriff",
]

# Templates with {t}: (template, violence, harassment, toxicity, kind)
THREATS = [
    ("someone should shoot {t}", "incitement"),
    ("somebody needs to put a bullet in {t}", "incitement"),
    ("{t} should be hanged for treason", "incitement"),
    ("hang {t}, every last one of them", "incitement"),
    ("we need to kill {t} before it is too late", "incitement"),
    ("go to their homes and make {t} pay in blood", "incitement"),
    ("I hope {t} die a slow painful death", "death_wish"),
    ("line {t} up against a wall and open fire", "incitement"),
    ("bring rope tomorrow, {t} will swing", "incitement"),
    ("time to take up arms and execute {t}", "incitement"),
    ("I'm going to find {t} and beat them until they stop breathing", "threat"),
    ("burn down the house with {t} inside", "incitement"),
    ("{t} deserve a bullet in the head", "death_wish"),
    ("if I see {t} tomorrow I will stab them", "threat"),
    ("we know where {t} live. tonight we settle this with guns", "threat"),
    ("it's open season on {t}, shoot on sight", "incitement"),
]

# Same targets, nothing violent: news, condemnation, negation, lawful demands.
NOT_THREATS = [
    ("Police arrested a man who threatened to shoot {t}", "news"),
    ("{t} received death threats after the vote, and the FBI is investigating", "news"),
    ("A man was charged today with plotting to kill {t}", "news"),
    ("Saying someone should shoot {t} is vile, and I reported the post", "counter_speech"),
    ("Calling for {t} to be hanged is never okay, whatever your politics", "counter_speech"),
    ("Nobody should hurt {t}, no matter what you think of them", "negation"),
    ("I would never wish harm on {t}, I just want them out of office", "negation"),
    ("Don't threaten {t}. Vote, write letters, show up at the meeting", "negation"),
    ("{t} should resign after this scandal", "lawful_demand"),
    ("{t} should be investigated and, if guilty, prosecuted", "lawful_demand"),
    ("I strongly disagree with {t} and will campaign against them", "lawful_demand"),
    ("The post said '{t} deserve a bullet' and it is still up. Why has nobody removed it?", "quote_condemn"),
    ("Threats against {t} are up sharply this year, the report says", "news"),
    ("Vote {t} out in November, that is how democracy works", "lawful_demand"),
    ("I met {t} at the fair today, surprisingly nice conversation", "benign"),
    ("Protect {t} from the people sending them death threats", "counter_speech"),
]

# ----------------------------------------------------------------------------------------------
# Protected groups for hate / not-hate pairs.
GROUPS = [
    "Muslims", "Jews", "Black people", "immigrants", "Mexicans", "gay people", "trans people",
    "women", "disabled people", "Asians", "refugees", "Hindus", "lesbians", "Arabs",
    "Christians", "Roma",
]

HATE = [  # (template, violence, kind)
    ("{g} are vermin and should be treated like vermin", 0, "dehumanising"),
    ("{g} are animals, not people", 0, "dehumanising"),
    ("{g} are a disease infecting this country", 0, "dehumanising"),
    ("I can't stand {g}, they are all filthy and disgusting", 0, "contempt"),
    ("{g} should not be allowed to vote or own property", 0, "exclusion"),
    ("{g} are subhuman trash", 0, "dehumanising"),
    ("all {g} are criminals and liars", 0, "stereotype"),
    ("we need to exterminate {g}", 1, "hate_violence"),
    ("{g} don't deserve to live", 1, "hate_violence"),
    ("no {g} should be allowed in this country, send every one of them back", 0, "exclusion"),
    ("{g} are too stupid to be trusted with anything", 0, "inferiority"),
    ("the world would be better if {g} were wiped out", 1, "hate_violence"),
    ("I hate {g} so much", 0, "contempt"),
    ("{g} are parasites living off the rest of us", 0, "dehumanising"),
    ("{g} are ruining this country and need to be removed", 0, "exclusion"),
    ("never trust {g}, they are all snakes", 0, "stereotype"),
    ("{g} breed like rats", 0, "dehumanising"),
    ("keep {g} out of our neighbourhood, they bring nothing but crime", 0, "exclusion"),
    ("{g} are a plague on society", 0, "dehumanising"),
    ("kill all {g}", 1, "hate_violence"),
    ("round up the {g} and shoot them", 1, "hate_violence"),
    ("every one of those {g} should be lined up and executed", 1, "hate_violence"),
    ("burn the {g} out of their homes tonight", 1, "hate_violence"),
]

NOT_HATE = [  # (template, kind)
    ("{g} are our neighbours, colleagues and friends", "identity_positive"),
    ("I stand with {g} in my town", "identity_positive"),
    ("Saying {g} are vermin is disgusting hate speech", "counter_speech"),
    ("It is wrong to call {g} animals. They are people", "counter_speech"),
    ("{g} face discrimination every day, and we should talk about it", "identity_neutral"),
    ("The report shows attacks on {g} are rising", "news"),
    ("{g} deserve the same rights as everyone else", "identity_positive"),
    ("No one should say {g} don't deserve to live", "counter_speech"),
    ("Celebrating the contributions of {g} to our city this month", "identity_positive"),
    ("I don't hate {g}; I hate bigotry", "negation"),
    ("A new museum exhibit tells the history of {g} in this region", "identity_neutral"),
    ("Many {g} volunteered at the food bank this weekend", "identity_neutral"),
    ("He wrote that {g} are parasites. That is hateful and I blocked him", "quote_condemn"),
    ("I am not going to pretend {g} are the problem, because they are not", "negation"),
    ("{g} are just people living their lives", "identity_positive"),
    ("My neighbours are {g} and they helped us move last week", "identity_neutral"),
    ("{g} have lived in this city for generations", "identity_neutral"),
    ("Proud of the {g} who organised the charity run", "identity_positive"),
    ("Hate crimes against {g} must be prosecuted", "counter_speech"),
    ("Stop blaming {g} for the economy", "counter_speech"),
    ("Some of the best teachers I ever had were {g}", "identity_positive"),
    ("{g} are welcome here", "identity_positive"),
    ("Listening to {g} talk about their lives taught me a lot", "identity_neutral"),
    ("There are {g} in every job, from nurses to pilots", "identity_neutral"),
    ("Why do people still spread lies about {g}?", "counter_speech"),
    ("{g} and their friends marched peacefully downtown", "identity_neutral"),
    ("I learned a lot about the history of {g} at the library talk", "identity_neutral"),
    ("Nobody should be attacked for being one of the {g} in this town", "counter_speech"),
]

# Identity statements that mention a group and are fine.
IDENTITY_OK = [
    "As a gay man I finally feel safe at work",
    "I'm a proud Muslim and a proud American",
    "As a Black woman in tech, mentoring matters to me",
    "My wife and I are both trans and we just adopted a puppy",
    "I'm Jewish and tonight we light the first candle",
    "Being disabled doesn't stop me hiking, it just slows me down",
    "We're immigrants and this is our tenth year running the bakery",
    "Lesbian couples deserve the same adoption rights",
    "Happy Diwali to all my Hindu friends",
    "Refugees rebuilt half the shops on our street",
    "I am a Christian and I volunteer at the mosque food drive",
    "Proud to be Mexican American, proud of my grandmother",
    "Being queer is part of who I am",
    "Asian American history should be taught in schools",
    "My Arab neighbours invited us for dinner, the food was amazing",
    "Women make up half the engineering team now",
]

# ----------------------------------------------------------------------------------------------
# Single sentences: (text, violence, hate, harassment, toxicity, kind)
SINGLES = [
    # idioms: violent words, no violence
    ("this commute is killing me", 0, 0, 0, 0, "idiom"),
    ("I'll kill for a coffee right now", 0, 0, 0, 0, "idiom"),
    ("she slayed that performance", 0, 0, 0, 0, "idiom"),
    ("you absolutely killed it on stage tonight", 0, 0, 0, 0, "idiom"),
    ("I'm dying laughing at this thread", 0, 0, 0, 0, "idiom"),
    ("my feet are killing me after that hike", 0, 0, 0, 0, "idiom"),
    ("break a leg at the audition tomorrow!", 0, 0, 0, 0, "idiom"),
    ("shoot me a message when you land", 0, 0, 0, 0, "idiom"),
    ("let's go shoot some hoops after work", 0, 0, 0, 0, "idiom"),
    ("I could murder a pizza right now", 0, 0, 0, 0, "idiom"),
    ("traffic on the bridge is murder today", 0, 0, 0, 0, "idiom"),
    ("just killing time before my flight", 0, 0, 0, 0, "idiom"),
    ("this deadline is an absolute killer", 0, 0, 0, 0, "idiom"),
    ("killing two birds with one stone and doing groceries on the way", 0, 0, 0, 0, "idiom"),
    ("she's drop dead gorgeous in that dress", 0, 0, 0, 0, "idiom"),
    ("I totally bombed my chemistry exam", 0, 0, 0, 0, "idiom"),
    ("this crossword is killing me, 14 across??", 0, 0, 0, 0, "idiom"),
    ("shoot for the moon, even if you miss you land among the stars", 0, 0, 0, 0, "idiom"),
    ("taking a stab at sourdough this weekend", 0, 0, 0, 0, "idiom"),
    ("that comedian destroyed the audience, best set of the night", 0, 0, 0, 0, "idiom"),
    ("I could just die of embarrassment", 0, 0, 0, 0, "idiom"),
    ("I'm dead tired after the night shift", 0, 0, 0, 0, "idiom"),
    ("kill me now, it's Monday again", 0, 0, 0, 0, "idiom"),
    ("my boss is going to kill me when she sees this spreadsheet", 0, 0, 0, 0, "idiom"),
    ("that new album is fire, it slaps", 0, 0, 0, 0, "idiom"),
    ("my mom will murder me if I'm late again lol", 0, 0, 0, 0, "idiom"),
    ("this heat wave is brutal", 0, 0, 0, 0, "idiom"),
    ("the suspense in the finale was killing us", 0, 0, 0, 0, "idiom"),
    ("that startup has a killer app", 0, 0, 0, 0, "idiom"),
    ("I'd literally die for a day off", 0, 0, 0, 0, "idiom"),
    ("the new intern is crushing it", 0, 0, 0, 0, "idiom"),
    ("we got slaughtered by the budget cuts", 0, 0, 0, 0, "idiom"),
    ("the bass drop absolutely blew the roof off", 0, 0, 0, 0, "idiom"),
    ("I'm going to strangle this printer, it jammed again", 0, 0, 0, 0, "idiom"),
    ("that movie was a bomb at the box office", 0, 0, 0, 0, "idiom"),
    ("he's a real lady killer with that smile", 0, 0, 0, 0, "idiom"),
    ("dressed to kill for the gala tonight", 0, 0, 0, 0, "idiom"),
    ("I nearly died when I saw the price of eggs", 0, 0, 0, 0, "idiom"),
    ("you're killing me with these puns", 0, 0, 0, 0, "idiom"),
    ("that cake was to die for", 0, 0, 0, 0, "idiom"),
    # sports and games
    ("we destroyed them 4-0 in the final", 0, 0, 0, 0, "sports"),
    ("headshot! got him from across the map", 0, 0, 0, 0, "games"),
    ("we slaughtered them in the second half", 0, 0, 0, 0, "sports"),
    ("the boxer knocked him out cold in round three", 0, 0, 0, 0, "sports"),
    ("finally killed the final boss after 40 tries", 0, 0, 0, 0, "games"),
    ("sniped him at the last second and won the round", 0, 0, 0, 0, "games"),
    ("we're going to annihilate the Tigers this weekend", 0, 0, 0, 0, "sports"),
    ("that tackle was brutal but clean", 0, 0, 0, 0, "sports"),
    ("my character died twenty times in that dungeon", 0, 0, 0, 0, "games"),
    ("we need to kill the clock and hold the lead", 0, 0, 0, 0, "sports"),
    ("attack down the left wing, they are weak there", 0, 0, 0, 0, "sports"),
    ("she shot a 68 in the final round to win the tournament", 0, 0, 0, 0, "sports"),
    ("our defense got murdered by their fast break", 0, 0, 0, 0, "sports"),
    ("ranked match tonight, let's wreck some noobs", 0, 0, 0, 0, "games"),
    ("the striker fired a rocket into the top corner", 0, 0, 0, 0, "sports"),
    ("he threw a bomb to the end zone for the win", 0, 0, 0, 0, "sports"),
    ("crush them on Saturday, boys! go team!", 0, 0, 0, 0, "sports"),
    ("my squad wiped the whole lobby in battle royale", 0, 0, 0, 0, "games"),
    ("checkmate in twelve moves, I massacred his queen side", 0, 0, 0, 0, "games"),
    ("the chess engine kills me every single game", 0, 0, 0, 0, "games"),
    ("we took out the enemy base and captured the flag", 0, 0, 0, 0, "games"),
    ("the fighter got choked out in the first round", 0, 0, 0, 0, "sports"),
    ("fencing practice: stabbed my coach three times in a row, new record", 0, 0, 0, 0, "sports"),
    ("the archery team hit every target today", 0, 0, 0, 0, "sports"),
    # fiction, history, news, education
    ("In the novel the villain poisons the king in chapter three", 0, 0, 0, 0, "fiction"),
    ("The film ends with the hero shooting the dragon through the eye", 0, 0, 0, 0, "fiction"),
    ("Lincoln was assassinated at Ford's Theatre in 1865", 0, 0, 0, 0, "history"),
    ("The Romans crucified thousands of rebels after the revolt", 0, 0, 0, 0, "history"),
    ("my D&D rogue stabbed the goblin king and stole his crown", 0, 0, 0, 0, "fiction"),
    ("this true crime podcast about a poisoning is chilling", 0, 0, 0, 0, "fiction"),
    ("Macbeth murders Duncan in act two", 0, 0, 0, 0, "fiction"),
    ("The documentary covers the genocide in Rwanda and how it was planned", 0, 0, 0, 0, "history"),
    ("Three people were shot outside a nightclub last night, police said", 0, 0, 0, 0, "news"),
    ("The gunman killed five before being arrested, officials confirmed", 0, 0, 0, 0, "news"),
    ("A bomb exploded near the market, wounding twelve", 0, 0, 0, 0, "news"),
    ("The senator was attacked with a hammer at his home, police say", 0, 0, 0, 0, "news"),
    ("Man sentenced to 20 years for threatening to kill a judge", 0, 0, 0, 0, "news"),
    ("Prosecutors say the suspect posted that he wanted to shoot police officers", 0, 0, 0, 0, "news"),
    ("Historians still argue about why the assassination of the archduke led to war", 0, 0, 0, 0, "history"),
    ("In my thriller draft the detective finds the body in the lake", 0, 0, 0, 0, "fiction"),
    ("The knights charged and cut down the enemy line, the chronicle says", 0, 0, 0, 0, "history"),
    ("Horror movie night: the killer is hiding in the basement again", 0, 0, 0, 0, "fiction"),
    ("The museum has a whole room of medieval swords and axes", 0, 0, 0, 0, "history"),
    ("Hamlet's uncle poured poison in his brother's ear", 0, 0, 0, 0, "fiction"),
    ("The war memorial lists every soldier killed from our village", 0, 0, 0, 0, "history"),
    ("The zombie apocalypse game lets you shoot hordes of the undead", 0, 0, 0, 0, "games"),
    # counter-speech, quoting to condemn, negation
    ("Someone in the replies said to hang the mayor. That is a crime, reported", 0, 0, 0, 0, "quote_condemn"),
    ("If you write 'kill them all' about anyone, you're the problem", 0, 0, 0, 0, "counter_speech"),
    ("Threatening election workers is disgusting and illegal", 0, 0, 0, 0, "counter_speech"),
    ("No one deserves to be shot for their opinions", 0, 0, 0, 0, "negation"),
    ("Nobody should hurt them, they're just kids", 0, 0, 0, 0, "negation"),
    ("I don't want anyone dead, I want them held accountable in court", 0, 0, 0, 0, "negation"),
    ("Violence is never the answer, even when you're angry at the government", 0, 0, 0, 0, "counter_speech"),
    ("Please stop saying people should be executed for voting differently", 0, 0, 0, 0, "counter_speech"),
    ("We are not going to storm anything. We protest peacefully", 0, 0, 0, 0, "negation"),
    ("I'd never threaten a cop, they have a hard job", 0, 0, 0, 0, "negation"),
    ("Stop telling people to kill themselves. It's cruel and it's not a joke", 0, 0, 0, 0, "counter_speech"),
    ("He posted 'I will find you and hurt you' to my sister and we went to the police", 0, 0, 0, 0, "quote_condemn"),
    ("Calling immigrants animals is how genocides start. Don't do it", 0, 0, 0, 0, "counter_speech"),
    # safety, hunting, cooking, medicine
    ("If you are in danger right now, call 911", 0, 0, 0, 0, "safety"),
    ("Teaching my kids gun safety before hunting season", 0, 0, 0, 0, "safety"),
    ("Shot my first deer this morning with my dad", 0, 0, 0, 0, "hunting"),
    ("Kill the yeast by using water that is too hot, so be careful", 0, 0, 0, 0, "cooking"),
    ("chop the onions and smash the garlic with the flat of the knife", 0, 0, 0, 0, "cooking"),
    ("the vet had to put our old dog to sleep today, heartbroken", 0, 0, 0, 0, "everyday"),
    ("Chemo is killing the cancer cells, the doctor is hopeful", 0, 0, 0, 0, "medical"),
    ("Kill the process with kill -9 if it hangs", 0, 0, 0, 0, "tech"),
    ("the script kills all child processes on exit", 0, 0, 0, 0, "tech"),
    ("we need to execute the migration before Friday", 0, 0, 0, 0, "tech"),
    ("This weed killer actually works on dandelions", 0, 0, 0, 0, "everyday"),
    ("Self-defense class tonight: how to break a wrist grab", 0, 0, 0, 0, "safety"),
    # self-deprecation and everyday complaints
    ("I'm such an idiot, I locked my keys in the car again", 0, 0, 0, 0, "self_deprecation"),
    ("ugh I hate myself for eating the whole cake", 0, 0, 0, 0, "self_deprecation"),
    ("I'm the worst driver in the family, ask anyone", 0, 0, 0, 0, "self_deprecation"),
    ("I'm so dumb, I put the milk in the cupboard", 0, 0, 0, 0, "self_deprecation"),
    ("I hate Mondays more than anything", 0, 0, 0, 0, "everyday"),
    ("I hate cilantro, it tastes like soap", 0, 0, 0, 0, "everyday"),
    ("I hate it when the bus is late", 0, 0, 0, 0, "everyday"),
    ("people who don't use turn signals are the worst", 0, 0, 0, 0, "everyday"),
    ("my cat is a little idiot and I love him", 0, 0, 0, 0, "everyday"),
    ("that referee's call was terrible", 0, 0, 0, 0, "sports"),
    ("this phone update is garbage", 0, 0, 0, 0, "everyday"),
    ("the new tax plan is a stupid idea", 0, 0, 0, 0, "politics"),
    ("I think the senator's bill is badly written and will hurt farmers", 0, 0, 0, 0, "politics"),
    ("The governor's speech was full of lies", 0, 0, 0, 0, "politics"),
    ("Liberals and conservatives both need to calm down", 0, 0, 0, 0, "politics"),
    ("Impeach him and let the courts decide", 0, 0, 0, 0, "lawful_demand"),
    ("Lock him up if he broke the law, same as anyone else", 0, 0, 0, 0, "lawful_demand"),
    ("Fire the coach, this season is a disaster", 0, 0, 0, 0, "idiom"),
    # everyday benign
    ("Just baked bread for the first time and it actually rose", 0, 0, 0, 0, "everyday"),
    ("The council meeting about the new park is at 7pm Thursday", 0, 0, 0, 0, "everyday"),
    ("Does anyone know a good plumber in the north end?", 0, 0, 0, 0, "everyday"),
    ("Our dog learned to open the fridge. We are doomed", 0, 0, 0, 0, "everyday"),
    ("Happy birthday to my little brother, 30 today!", 0, 0, 0, 0, "everyday"),
    ("Gas prices are up again this week", 0, 0, 0, 0, "everyday"),
    ("Beautiful sunrise over the lake this morning", 0, 0, 0, 0, "everyday"),
    ("Reading a great book about the history of bridges", 0, 0, 0, 0, "everyday"),
    ("Go vote today, polls close at 8", 0, 0, 0, 0, "politics"),
    ("We should fight for better schools in this district", 0, 0, 0, 0, "politics"),
    ("Let's fight this zoning change at the next meeting", 0, 0, 0, 0, "politics"),
    ("Prayers for the families of the victims", 0, 0, 0, 0, "news"),
    # profanity without abuse (toxicity only)
    ("this fucking weather, snow again in April", 0, 0, 0, 1, "profanity"),
    ("holy shit that concert was amazing", 0, 0, 0, 1, "profanity"),
    ("damn this traffic, I'm going to be late", 0, 0, 0, 1, "profanity"),
    ("what the fuck is going on with my phone", 0, 0, 0, 1, "profanity"),
    ("this game's ending is total bullshit", 0, 0, 0, 1, "profanity"),
    ("fuck yeah, we won the championship!", 0, 0, 0, 1, "profanity"),
    ("shit, I forgot my lunch again", 0, 0, 0, 1, "profanity"),
    ("this is the best damn burger in town", 0, 0, 0, 1, "profanity"),
    ("pissed off that the store closed early", 0, 0, 0, 1, "profanity"),
    ("my ass hurts after that spin class", 0, 0, 0, 1, "profanity"),
    ("that was a crappy movie, what a waste of money", 0, 0, 0, 1, "profanity"),
    ("fuck mondays honestly", 0, 0, 0, 1, "profanity"),
    # harassment: insults aimed at a person
    ("you're a pathetic loser and everyone knows it", 0, 0, 1, 0, "insult"),
    ("nobody likes you, just leave this site", 0, 0, 1, 0, "insult"),
    ("you are the dumbest person I have ever seen post here", 0, 0, 1, 0, "insult"),
    ("shut up you worthless idiot", 0, 0, 1, 1, "insult"),
    ("@user you ugly piece of trash", 0, 0, 1, 1, "insult"),
    ("go cry to your mommy, you clown", 0, 0, 1, 0, "insult"),
    ("you're a fat disgusting pig", 0, 0, 1, 1, "insult"),
    ("everyone laughs at you behind your back, you freak", 0, 0, 1, 0, "insult"),
    ("you stupid bitch, nobody asked you", 0, 0, 1, 1, "insult"),
    ("what a brainless moron you are", 0, 0, 1, 1, "insult"),
    ("you're a lying sack of shit", 0, 0, 1, 1, "insult"),
    ("fuck you and your ugly face", 0, 0, 1, 1, "insult"),
    ("you're too dumb to breathe, honestly", 0, 0, 1, 0, "insult"),
    ("she's a dumb slut and everyone at school knows it", 0, 0, 1, 1, "insult"),
    ("he's a useless waste of space", 0, 0, 1, 0, "insult"),
    ("you are a joke and a disgrace, delete your account", 0, 0, 1, 0, "insult"),
    ("keep posting, loser, it's hilarious how pathetic you are", 0, 0, 1, 0, "insult"),
    ("you idiot, read the article before commenting", 0, 0, 1, 0, "insult"),
    # not harassment: praise, self, quoting, criticism of ideas
    ("you're a genius, thanks for the fix!", 0, 0, 0, 0, "praise"),
    ("you are the kindest person on this site", 0, 0, 0, 0, "praise"),
    ("don't call people idiots, it doesn't help your argument", 0, 0, 0, 0, "counter_speech"),
    ("he called me a loser in the comments so I blocked him", 0, 0, 0, 0, "quote_condemn"),
    ("your argument is wrong and here is the data showing why", 0, 0, 0, 0, "disagreement"),
    ("I disagree with you completely, but thanks for explaining", 0, 0, 0, 0, "disagreement"),
    ("that idea is silly, but I see why you suggested it", 0, 0, 0, 0, "disagreement"),
    ("you look amazing in that photo", 0, 0, 0, 0, "praise"),
    ("you're not stupid, the instructions really are confusing", 0, 0, 0, 0, "negation"),
    ("nobody is a loser for asking for help", 0, 0, 0, 0, "negation"),
    # direct threats and death wishes at a person
    ("I will find you and hurt you", 1, 0, 1, 0, "threat"),
    ("I'm going to kill you", 1, 0, 1, 0, "threat"),
    ("you're dead when I see you tomorrow", 1, 0, 1, 0, "threat"),
    ("I know where you live and I'm coming for you", 1, 0, 1, 0, "threat"),
    ("I'll put a bullet in your head", 1, 0, 1, 0, "threat"),
    ("watch your back, I'm going to stab you", 1, 0, 1, 0, "threat"),
    ("I hope you die in a fire", 1, 0, 1, 0, "death_wish"),
    ("go kill yourself", 1, 0, 1, 0, "self_harm_incitement"),
    ("you should just die", 1, 0, 1, 0, "death_wish"),
    ("I hope someone runs you over with a truck", 1, 0, 1, 0, "death_wish"),
    ("keep talking and I'll break every bone in your body", 1, 0, 1, 0, "threat"),
    ("I will shoot you if you come near my house again", 1, 0, 1, 0, "threat"),
    ("one day soon someone will slit your throat", 1, 0, 1, 0, "threat"),
    ("I'll beat you to death with my bare hands", 1, 0, 1, 0, "threat"),
    ("your family won't be safe, I promise you that", 1, 0, 1, 0, "threat"),
    ("I'm bringing my gun to school tomorrow, everyone there will pay", 1, 0, 0, 0, "threat"),
    ("I'm going to shoot up the mall this weekend", 1, 0, 0, 0, "threat"),
    ("planting a bomb at the office on Friday, they'll see", 1, 0, 0, 0, "threat"),
    ("you will be hanging from a tree soon", 1, 0, 1, 0, "threat"),
    ("i hope your kids get cancer and die", 1, 0, 1, 0, "death_wish"),
    # incitement and glorification
    ("hang them all", 1, 0, 0, 0, "incitement"),
    ("kill them all and let god sort them out", 1, 0, 0, 0, "incitement"),
    ("time to systematically assassinate every one of their leaders", 1, 0, 0, 0, "incitement"),
    ("shoot the police that protect these politicians", 1, 0, 0, 0, "incitement"),
    ("storm the capitol and drag them out, bring zip ties and rope", 1, 0, 0, 0, "incitement"),
    ("the shooter was a hero, we need a hundred more like him", 1, 0, 0, 0, "glorification"),
    ("that bombing was beautiful, do it again", 1, 0, 0, 0, "glorification"),
    ("execute every traitor in congress, public hangings on the mall", 1, 0, 0, 0, "incitement"),
    ("grab your rifles, we march on the statehouse at dawn and nobody leaves alive", 1, 0, 0, 0, "incitement"),
    ("firing squad for all of them", 1, 0, 0, 0, "incitement"),
    ("someone needs to take out the judge before the ruling", 1, 0, 0, 0, "incitement"),
    ("burn their churches with them inside", 1, 1, 0, 0, "incitement"),
    ("civil war now. kill the traitors in their beds", 1, 0, 0, 0, "incitement"),
    ("a rope, a tree, a politician. some assembly required", 1, 0, 0, 0, "incitement"),
    ("tar and feather the whole city council then set them on fire", 1, 0, 0, 0, "incitement"),
    ("every cop deserves a bullet", 1, 0, 0, 0, "death_wish"),
    ("I want to see those reporters beaten bloody in the street", 1, 0, 0, 0, "incitement"),
    ("they should all be shot on sight, no trial", 1, 0, 0, 0, "incitement"),
    ("pick them off one by one from the rooftops", 1, 0, 0, 0, "incitement"),
    ("somebody do the world a favor and assassinate him", 1, 0, 0, 0, "incitement"),
    ("I'm going to break your neck next time I see you", 1, 0, 1, 0, "threat"),
    ("better sleep with one eye open, I'm coming for you", 1, 0, 1, 0, "threat"),
    ("meet me outside and I'll cut you", 1, 0, 1, 0, "threat"),
    ("I swear I will end you", 1, 0, 1, 0, "threat"),
    ("say that again and you're getting shot", 1, 0, 1, 0, "threat"),
    ("I'll make sure you never walk again", 1, 0, 1, 0, "threat"),
    ("someone should teach that judge a lesson with a baseball bat", 1, 0, 0, 0, "incitement"),
    ("gonna torch his car with him in it", 1, 0, 0, 0, "threat"),
    ("I hope your plane crashes", 1, 0, 1, 0, "death_wish"),
    ("just die already", 1, 0, 1, 0, "death_wish"),
    ("we should ambush the officers when they leave the station", 1, 0, 0, 0, "incitement"),
    ("drag the mayor out of city hall and beat him", 1, 0, 0, 0, "incitement"),
    # more idioms and everyday uses of violent words
    ("this playlist is killer", 0, 0, 0, 0, "idiom"),
    ("I'm going to kill this presentation tomorrow", 0, 0, 0, 0, "idiom"),
    ("the new burger place is the bomb", 0, 0, 0, 0, "idiom"),
    ("we absolutely murdered that karaoke song", 0, 0, 0, 0, "idiom"),
    ("that exam was a massacre, half the class failed", 0, 0, 0, 0, "idiom"),
    ("my phone battery is dying again", 0, 0, 0, 0, "idiom"),
    ("the stock price got shot down after the report", 0, 0, 0, 0, "idiom"),
    ("I'm going to hit the gym and then hit the sack", 0, 0, 0, 0, "idiom"),
    ("he fired off an angry email to the landlord", 0, 0, 0, 0, "idiom"),
    ("we're going to attack this problem from a new angle", 0, 0, 0, 0, "idiom"),
    ("the band totally slayed last night", 0, 0, 0, 0, "idiom"),
    ("she shot down every one of my ideas in the meeting", 0, 0, 0, 0, "idiom"),
    ("I laughed so hard I almost died", 0, 0, 0, 0, "idiom"),
    ("time to kill some zombies in the new game", 0, 0, 0, 0, "games"),
    ("our quarterback got sacked three times", 0, 0, 0, 0, "sports"),
    ("the film's shootout scene was beautifully choreographed", 0, 0, 0, 0, "fiction"),
    ("the police officer who was shot last week is recovering", 0, 0, 0, 0, "news"),
    ("Thoughts with everyone hurt in the attack", 0, 0, 0, 0, "news"),
    ("He was convicted of threatening to kill the governor", 0, 0, 0, 0, "news"),
    ("I'm reporting this account: it keeps telling people to hang politicians", 0, 0, 0, 0, "quote_condemn"),
]

# Obfuscated spellings of threats, for the normaliser to undo.
OBFUSCATED = [
    ("i will k1ll you", 1, 0, 1, 0),
    ("i'm going to k i l l you", 1, 0, 1, 0),
    ("someone should sh00t the senator", 1, 0, 0, 0),
    ("h4ng them all", 1, 0, 0, 0),
    ("I will f.i.n.d you and h.u.r.t you", 1, 0, 1, 0),
    ("go k!ll yourself", 1, 0, 1, 0),
    ("you should d1e", 1, 0, 1, 0),
    ("i'll stab yooouuu", 1, 0, 1, 0),
    ("this commute is k1lling me", 0, 0, 0, 0),
    ("I'd k i l l for a coffee", 0, 0, 0, 0),
    ("you're a w0rthless 1di0t", 0, 0, 1, 1),
    ("sh*t, I forgot my lunch", 0, 0, 0, 1),
]


def rows():
    out = []

    def add(text, v, h, ha, t, kind, group):
        out.append({"text": text, "violence": v, "hate": h, "harassment": ha, "toxicity": t,
                    "kind": kind, "group": group})

    for i, (tpl, kind) in enumerate(THREATS):
        for t in TARGETS:
            text = tpl.format(t=t)
            text = text[0].upper() + text[1:] if i % 3 == 0 else text
            add(text, 1, 0, int(t in ("my neighbor", "my ex", "that reporter")), 0, kind, f"threat{i}")
    for i, (tpl, kind) in enumerate(NOT_THREATS):
        for t in TARGETS:
            text = tpl.format(t=t)
            add(text[0].upper() + text[1:], 0, 0, 0, 0, kind, f"notthreat{i}")
    for i, (tpl, violence, kind) in enumerate(HATE):
        for g in GROUPS:
            add(tpl.format(g=g), violence, 1, 0, 0, kind, f"hate{i}")
    for i, (tpl, kind) in enumerate(NOT_HATE):
        for g in GROUPS:
            text = tpl.format(g=g)
            add(text[0].upper() + text[1:], 0, 0, 0, 0, kind, f"nothate{i}")
    for i, text in enumerate(IDENTITY_OK):
        add(text, 0, 0, 0, 0, "identity_positive", f"identity{i}")
    for i, (text, v, h, ha, t, kind) in enumerate(SINGLES):
        add(text, v, h, ha, t, kind, f"single{i}")
    for i, (text, v, h, ha, t) in enumerate(OBFUSCATED):
        add(text, v, h, ha, t, "obfuscated", f"obf{i}")
    return out


def main():
    data = rows()
    with open(HERE / "contrast.jsonl", "w", encoding="utf-8") as f:
        for r in data:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(data)} sentences to {HERE / 'contrast.jsonl'}")


if __name__ == "__main__":
    main()
