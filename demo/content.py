"""The fictional organisation's catalogue: series, topics, authors, partners and 24 briefs.

All names, places, people, quotations and organisations are invented. Web
addresses use the reserved example domains so no link points at anyone real.
Each brief carries its own core sentences (problem, context, evidence,
proposal, risk, recommendations); ``prose.py`` weaves them together with a
bank of general sentences so that every brief reads differently.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SeriesSpec:
    slug: str
    name: str
    description: str
    # The numbering a long-running series had before it moved to this site.
    starting_number: int


@dataclass(frozen=True)
class TopicSpec:
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class AuthorSpec:
    slug: str
    name: str
    role: str
    bio: str
    website: str = ""
    x_url: str = ""
    linkedin_url: str = ""


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    url: str
    description: str


@dataclass(frozen=True)
class BriefSpec:
    title: str
    series: str
    topics: tuple[str, ...]
    authors: tuple[str, ...]
    resources: tuple[str, ...]
    days_ago: int
    header_scene: str
    analysis_scene: str
    subject: str  # a noun phrase that fits "the question of ___"
    summary: str
    problem: str
    context: str
    evidence: str
    proposal: str
    risk: str
    recommendations: tuple[str, str, str]
    quote: str
    speaker: str


SERIES = (
    SeriesSpec(
        "foreign-policy",
        "Foreign Policy Brief",
        "Short, practical analysis of diplomacy, trade routes and security for readers who need the argument "
        "in ten minutes.",
        131,
    ),
    SeriesSpec(
        "domestic-policy",
        "Domestic Policy Brief",
        "How public services, towns and institutions could work better, with costed recommendations.",
        44,
    ),
    SeriesSpec(
        "economic-policy",
        "Economic Policy Brief",
        "Markets, budgets and work: what the numbers say and what government can sensibly do about them.",
        78,
    ),
)

TOPICS = (
    TopicSpec(
        "climate-energy", "Climate and Energy", "Power grids, emissions, adaptation and paying for the transition."
    ),
    TopicSpec(
        "trade-investment", "Trade and Investment", "Shipping, exporters, supply chains and the rules that govern them."
    ),
    TopicSpec(
        "security-defence",
        "Security and Defence",
        "Alliances, sanctions, infrastructure protection and crisis response.",
    ),
    TopicSpec("public-health", "Public Health", "Clinics, care work, prevention and health systems under strain."),
    TopicSpec("education-skills", "Education and Skills", "From early literacy to apprenticeships and exchanges."),
    TopicSpec(
        "technology-data", "Technology and Data", "Connectivity, digital services, data and the public interest."
    ),
    TopicSpec("housing-cities", "Housing and Cities", "Zoning, transport, heat and the places people live."),
    TopicSpec(
        "democracy-governance",
        "Democracy and Governance",
        "Elections, public budgets and institutions that earn trust.",
    ),
    TopicSpec(
        "migration-labour", "Migration and Labour", "Who does the work, how they get here and how they are treated."
    ),
)

AUTHORS = (
    AuthorSpec(
        "amara-okafor",
        "Amara Okafor",
        "Senior Fellow, Foreign Policy",
        "Amara Okafor leads the Forum's work on diplomacy and maritime trade. Before joining she spent twelve years "
        "negotiating port and transit agreements for a regional development bank.\n\n"
        "Her current research asks how middle-sized states can protect shared infrastructure without joining "
        "rival blocs.",
        website="https://amara-okafor.example.org/",
        x_url="https://x.example/amara_okafor_demo",
    ),
    AuthorSpec(
        "tomasz-lindqvist",
        "Tomasz Lindqvist",
        "Director, Economic Programme",
        "Tomasz Lindqvist directs the Economic Programme. He is a public-finance economist who has advised city "
        "treasuries on budgeting, procurement and land taxation.\n\n"
        "He writes about the unglamorous rules that decide whether good policies survive contact with a budget.",
        website="https://lindqvist.example.net/",
        linkedin_url="https://linkedin.example/in/tomasz-lindqvist-demo",
    ),
    AuthorSpec(
        "priya-raman-holt",
        "Priya Raman-Holt",
        "Fellow, Health and Social Policy",
        "Priya Raman-Holt trained as a nurse and worked in community clinics before moving into health-systems "
        "research. Her work focuses on rural care, the health workforce and prevention.",
        x_url="https://x.example/priya_rh_demo",
    ),
    AuthorSpec(
        "jonah-whitfield",
        "Jonah Whitfield",
        "Research Associate, Technology and Governance",
        "Jonah Whitfield studies digital public services, connectivity and election administration. He previously "
        "built data tools for a municipal statistics office.",
        website="https://jonahwhitfield.example.org/",
    ),
    AuthorSpec(
        "elena-marchetti",
        "Elena Marchetti",
        "Visiting Scholar, Climate and Energy",
        "Elena Marchetti is an energy-systems engineer on leave from a technical university, where she models "
        "cross-border electricity markets.\n\n"
        "At the Forum she works on how to pay for the energy transition fairly.",
        linkedin_url="https://linkedin.example/in/elena-marchetti-demo",
    ),
    AuthorSpec(
        "samuel-adeyemi-clarke",
        "Samuel Adeyemi-Clarke",
        "Junior Fellow, Housing and Cities",
        "Samuel Adeyemi-Clarke researches housing supply, public transport and neighbourhood resilience. He "
        "joined the Forum after a master's degree in urban planning.",
    ),
)

RESOURCES = (
    ResourceSpec(
        "Civic Water Alliance",
        "https://civicwater.example.org/",
        "A coalition of towns that share engineers and data to keep public water safe and affordable.",
    ),
    ResourceSpec(
        "Open Budget Lab",
        "https://openbudget.example.org/",
        "Publishes plain-language guides to public spending and trains residents to read local budgets.",
    ),
    ResourceSpec(
        "Coastal Resilience Network",
        "https://coastalresilience.example.net/",
        "Connects port authorities and coastal councils planning for storms and rising seas.",
    ),
    ResourceSpec(
        "Fair Passage Institute",
        "https://fairpassage.example.org/",
        "Offers free legal guidance to workers and students moving between countries.",
    ),
    ResourceSpec(
        "Digital Commons Trust",
        "https://digitalcommons.example.org/",
        "Campaigns for open standards and public-interest rules in digital infrastructure.",
    ),
    ResourceSpec(
        "Neighbourhood Homes Federation",
        "https://homesfederation.example.org/",
        "Supports community land trusts and housing co-operatives from first meeting to first tenant.",
    ),
    ResourceSpec(
        "Trade Route Monitor",
        "https://traderoutes.example.net/",
        "Tracks shipping delays and port congestion and publishes the data for anyone to use.",
    ),
    ResourceSpec(
        "Learning Bridges",
        "https://learningbridges.example.org/",
        "Runs reading clubs, exchanges and mentoring schemes for young people.",
    ),
    # The two organisations of the #140-like brief (brief140.py).
    ResourceSpec(
        "Northern Treaty Alliance",
        "https://northerntreaty.example.org/",
        "A defence alliance of twelve northern states that coordinates naval patrols and crisis communication.",
    ),
    ResourceSpec(
        "Arvenian Ministry of Foreign Affairs",
        "https://foreignaffairs.example.net/",
        "Arvenia's foreign ministry, which publishes statements, transcripts and briefings on the talks.",
    ),
)

BRIEFS = (
    # Foreign Policy Brief
    BriefSpec(
        title="Middle Powers and the New Shipping Lanes",
        series="foreign-policy",
        topics=("trade-investment", "security-defence"),
        authors=("amara-okafor",),
        resources=("Trade Route Monitor", "Coastal Resilience Network"),
        days_ago=1040,
        header_scene="harbour",
        analysis_scene="map",
        subject="the new northern shipping lanes",
        summary=(
            "As ice retreats, new sea routes cut days off voyages between major markets. Middle-sized coastal "
            "states can shape the rules for these lanes, but only if they coordinate before traffic grows."
        ),
        problem="The rules for these routes are being written by the few states with icebreakers and the money "
        "to run them.",
        context="Until recently the northern passages were open for a few weeks a year and carried little more "
        "than research vessels and supply ships.",
        evidence="Transits on the two busiest routes have roughly tripled in five years, while the number of "
        "rescue stations along them has not changed.",
        proposal="A standing compact of coastal states could pool search-and-rescue capacity and set common "
        "standards for pilots, insurance and fuel.",
        risk="If the compact is too loose it will be ignored; if it is too tight, the largest shipping nations "
        "will route around it.",
        recommendations=(
            "Convene coastal states on a shared rescue and pilotage plan within a year",
            "Make insurance for the routes conditional on common safety standards",
            "Publish transit and incident data openly every month",
        ),
        quote="Whoever writes the safety rules for a new sea lane ends up writing its trade rules too.",
        speaker="Captain Ilse Marvik, fictional harbour master of Port Averne",
    ),
    BriefSpec(
        title="Water Diplomacy in Shared River Basins",
        series="foreign-policy",
        topics=("climate-energy", "security-defence"),
        authors=("amara-okafor", "elena-marchetti"),
        resources=("Civic Water Alliance", "Coastal Resilience Network"),
        days_ago=870,
        header_scene="ridges",
        analysis_scene="map",
        subject="water sharing in cross-border river basins",
        summary=(
            "Drier summers are turning old river treaties into sources of friction. Basin-wide data sharing and "
            "drought clauses agreed in advance can prevent disputes that are far harder to settle mid-crisis."
        ),
        problem="Most river treaties in the region were drafted for average years and say nothing about what "
        "happens in a drought.",
        context="The Calder Basin treaty, like many of its generation, divides water by fixed volumes agreed when "
        "flows were higher and more predictable.",
        evidence="Three of the last six summers saw flows fall below the level the treaty assumes is the minimum.",
        proposal="Adding a drought protocol, with shares that shrink in proportion and a joint monitoring office, "
        "would turn each dry year from a negotiation into a procedure.",
        risk="Upstream states may see shared monitoring as a loss of sovereignty unless it comes with technical "
        "help and a fair voice in the office.",
        recommendations=(
            "Negotiate proportional drought shares before the next dry season",
            "Fund a joint monitoring office with staff from every basin state",
            "Publish river-gauge data in real time, in every basin language",
        ),
        quote="We do not need a new treaty. We need the old one to know what a dry year looks like.",
        speaker="Rafaela Ostrand, fictional commissioner of the Calder Basin authority",
    ),
    BriefSpec(
        title="Rebuilding Consular Services for a Mobile Age",
        series="foreign-policy",
        topics=("migration-labour", "democracy-governance", "technology-data"),
        authors=("jonah-whitfield",),
        resources=("Fair Passage Institute", "Digital Commons Trust"),
        days_ago=760,
        header_scene="civic building",
        analysis_scene="network",
        subject="consular services for citizens abroad",
        summary=(
            "More citizens live, study and work abroad than ever, yet consular services still assume a traveller "
            "with a paper passport and a problem during office hours. A digital-first service with human backup "
            "would serve them better for less."
        ),
        problem="Citizens abroad wait weeks for routine documents and cannot reach anyone at night or at weekends.",
        context="Consular networks were built for a world of embassies in capitals and occasional tourists.",
        evidence="Routine requests such as passport renewals and document certification make up four in five "
        "consular contacts, and almost all could be handled online.",
        proposal="Moving routine work to a secure online service would free consular staff for arrests, "
        "hospitalisations and crises, where a person on the phone matters most.",
        risk="A digital service that fails people without good connections or documents would shift the burden "
        "rather than remove it.",
        recommendations=(
            "Put routine consular requests online with a guaranteed response time",
            "Staff a round-the-clock emergency line shared across embassies",
            "Keep an in-person route for anyone who cannot use the online service",
        ),
        quote="The hardest call I ever took came at three in the morning. The system assumed it would come at noon.",
        speaker="Dario Fenwick, fictional retired consul",
    ),
    BriefSpec(
        title="Sanctions That Bite the Right Targets",
        series="foreign-policy",
        topics=("security-defence", "trade-investment"),
        authors=("amara-okafor", "tomasz-lindqvist"),
        resources=("Trade Route Monitor", "Open Budget Lab"),
        days_ago=540,
        header_scene="map",
        analysis_scene="network",
        subject="targeted economic sanctions",
        summary=(
            "Sanctions are easy to announce and hard to enforce. Better ownership registers, shared enforcement "
            "data and regular reviews would make them hit decision-makers rather than ordinary households."
        ),
        problem="Sanctioned assets slip through layers of shell companies faster than enforcement agencies can "
        "trace them.",
        context="Sanctions have become the default response to crises because they are quicker than diplomacy and "
        "less risky than force.",
        evidence="In the cases we reviewed, fewer than half of the listed individuals had any assets frozen in the "
        "first year.",
        proposal="Public registers of who ultimately owns companies and property, linked across allied states, "
        "would let enforcers follow assets rather than names.",
        risk="Poorly aimed measures harm the population of the target state and erode support for sanctions at home.",
        recommendations=(
            "Create linked registers of the real owners of companies and property",
            "Share enforcement data among allied agencies under common rules",
            "Review every sanctions package after a year and publish the findings",
        ),
        quote="A list of names is not a policy. Following the money is.",
        speaker="Helena Voss, fictional former enforcement official",
    ),
    BriefSpec(
        title="Cooperating on Cross-Border Power Grids",
        series="foreign-policy",
        topics=("climate-energy", "trade-investment"),
        authors=("elena-marchetti",),
        resources=("Digital Commons Trust", "Coastal Resilience Network"),
        days_ago=410,
        header_scene="wind farm",
        analysis_scene="map",
        subject="cross-border electricity trading",
        summary=(
            "Wind and sun do not respect borders, and neither should the grids that carry their power. Stronger "
            "links between neighbouring grids would cut costs, smooth supply and make blackouts less likely."
        ),
        problem="Neighbouring grids still trade power through a handful of congested links and day-old schedules.",
        context="National grids were designed around large domestic power stations and treated imports as an "
        "emergency measure.",
        evidence="On windy days, renewable output in the northern provinces is curtailed for lack of export "
        "capacity, while prices across the border stay high.",
        proposal="A regional grid compact would plan interconnectors jointly, share balancing reserves and settle "
        "trades close to real time.",
        risk="States worry that dependence on neighbours becomes a weakness in a crisis, so the compact needs clear "
        "rules for emergencies.",
        recommendations=(
            "Plan new interconnectors jointly, with costs shared by the benefits each state receives",
            "Move cross-border trading to intraday schedules",
            "Agree in advance how power is shared during an emergency",
        ),
        quote="The cheapest power station is the one your neighbour already built.",
        speaker="Jonas Telling, fictional grid operator",
    ),
    BriefSpec(
        title="Keeping Undersea Cables Out of Harm's Way",
        series="foreign-policy",
        topics=("technology-data", "security-defence"),
        authors=("jonah-whitfield", "amara-okafor"),
        resources=("Digital Commons Trust", "Trade Route Monitor"),
        days_ago=250,
        header_scene="map",
        analysis_scene="harbour",
        subject="the protection of undersea data cables",
        summary=(
            "Nearly all international data travels through cables on the sea floor. Repair capacity, route "
            "diversity and clear rules for investigating damage matter more than dramatic patrols."
        ),
        problem="A single anchor dragged across the sea floor can cut a small country's connection to the world "
        "for days.",
        context="Cables were laid by private consortia on commercial routes, with little thought for how many "
        "converge in the same narrow channels.",
        evidence="The region relies on just two repair ships, and the average repair in the past three years took "
        "eleven days.",
        proposal="Governments could co-fund a shared repair vessel, require new cables to take diverse routes and "
        "agree a joint procedure for investigating suspicious damage.",
        risk="Treating every fault as sabotage would militarise a mostly civilian problem and strain relations "
        "with neighbours.",
        recommendations=(
            "Co-fund a regional cable repair ship with a guaranteed response time",
            "Make route diversity a condition of new landing licences",
            "Agree a joint, evidence-based procedure for investigating cable damage",
        ),
        quote="Most cable faults are accidents. The question is whether we can fix them before they become crises.",
        speaker="Marit Olaussen, fictional telecoms regulator",
    ),
    BriefSpec(
        title="Aid That Outlasts the Headlines: Reforming Disaster Relief",
        series="foreign-policy",
        topics=("public-health", "democracy-governance"),
        authors=("priya-raman-holt", "amara-okafor"),
        resources=("Civic Water Alliance", "Open Budget Lab", "Coastal Resilience Network"),
        days_ago=120,
        header_scene="skyline",
        analysis_scene="ridges",
        subject="international disaster relief",
        summary=(
            "Relief money pours in during the first weeks after a disaster and dries up long before rebuilding is "
            "done. Pre-arranged funds and local partners would make aid faster at the start and steadier after."
        ),
        problem="Most relief money arrives after a disaster peaks in the news and is gone before reconstruction "
        "is finished.",
        context="Disaster relief is still funded largely by appeals, launched after the event and shaped by how much "
        "attention it receives.",
        evidence="Across the responses we studied, over half of pledged funds were spent in the first three months, "
        "while rebuilding took three years or more.",
        proposal="Funds agreed before disasters strike, released automatically when agreed triggers are met, would "
        "let local organisations plan for years rather than weeks.",
        risk="Automatic triggers can misfire, so funds need a quick human review and a clear route for appeals.",
        recommendations=(
            "Set up pre-arranged relief funds with published triggers",
            "Channel a fixed share of relief through local organisations",
            "Report spending for at least three years after each disaster",
        ),
        quote="The cameras left after a fortnight. The water pumps were broken for two years.",
        speaker="Aurelio Batista, fictional relief co-ordinator",
    ),
    BriefSpec(
        title="Student Exchanges as Long-Term Diplomacy",
        series="foreign-policy",
        topics=("education-skills", "migration-labour"),
        authors=("samuel-adeyemi-clarke",),
        resources=("Learning Bridges", "Fair Passage Institute"),
        days_ago=35,
        header_scene="civic building",
        analysis_scene="network",
        subject="international student exchanges",
        summary=(
            "Exchange programmes are among the cheapest tools of foreign policy and the first cut when budgets "
            "tighten. Protecting them, and opening them beyond elite universities, pays off for decades."
        ),
        problem="Exchange places are concentrated in a few universities and out of reach for most students.",
        context="Exchanges were once seen as a pillar of foreign relations; today they sit in education budgets, "
        "where they compete with everything else.",
        evidence="Students from the poorest fifth of households are four times less likely to study abroad, mostly "
        "because of upfront costs.",
        proposal="Multi-year funding, grants paid before departure and places reserved for vocational colleges "
        "would widen who takes part.",
        risk="Expanding places without support on arrival would leave students isolated and the programme's "
        "reputation damaged.",
        recommendations=(
            "Fund exchanges over five-year periods rather than year by year",
            "Pay grants before departure, not after arrival",
            "Reserve places for vocational and technical colleges",
        ),
        quote="The friends I made that year are now diplomats, engineers and mayors. We still call each other.",
        speaker="Noor Haddad, fictional former exchange student",
    ),
    # Domestic Policy Brief
    BriefSpec(
        title="Making Room: Zoning Reform for Growing Towns",
        series="domestic-policy",
        topics=("housing-cities", "democracy-governance"),
        authors=("samuel-adeyemi-clarke", "tomasz-lindqvist"),
        resources=("Neighbourhood Homes Federation", "Open Budget Lab"),
        days_ago=1010,
        header_scene="skyline",
        analysis_scene="map",
        subject="zoning reform in growing towns",
        summary=(
            "Towns that are growing fastest often have the strictest rules on what can be built. Allowing modest "
            "density by right near stations and high streets would add homes without changing what residents value."
        ),
        problem="In most growing towns, anything denser than a detached house needs a special permission that can "
        "take years.",
        context="Zoning codes in many towns were last rewritten decades ago, for populations half their present size.",
        evidence="In the towns we studied, nine in ten residential plots are zoned for detached houses only, "
        "including many within walking distance of a station.",
        proposal="Permitting terraces and small apartment buildings by right near stations, with clear design "
        "standards, would let supply follow demand.",
        risk="Without design standards and investment in services, new density can provoke a backlash that stalls "
        "reform everywhere.",
        recommendations=(
            "Allow terraces and small apartment buildings by right within walking distance of stations",
            "Publish clear design standards so approvals are predictable",
            "Tie part of the new tax revenue to local schools and parks",
        ),
        quote="Our children grew up here and cannot afford to stay. That is what the zoning map really says.",
        speaker="Maureen Oakes, fictional town councillor",
    ),
    BriefSpec(
        title="A Fair Deal for Rural Clinics",
        series="domestic-policy",
        topics=("public-health",),
        authors=("priya-raman-holt",),
        resources=("Open Budget Lab", "Learning Bridges"),
        days_ago=930,
        header_scene="ridges",
        analysis_scene="civic building",
        subject="the future of rural clinics",
        summary=(
            "Rural clinics close when their last doctor retires, leaving patients to travel hours for routine "
            "care. Team-based clinics, fair funding and training places in the countryside can keep them open."
        ),
        problem="Rural clinics depend on one or two doctors, and when they retire the clinic often closes for good.",
        context="Funding formulas pay clinics by the number of patients, which ignores the higher costs of serving "
        "people spread over large distances.",
        evidence="One in six rural clinics in the Northern Provinces closed or merged in the past decade, and travel "
        "times for routine appointments rose by a third.",
        proposal="A rural funding supplement, team-based clinics led by nurses and doctors together, and training "
        "places based in the countryside would keep care close to home.",
        risk="Supplements that are not tied to staffing could be absorbed by overheads without improving access.",
        recommendations=(
            "Add a distance supplement to the clinic funding formula",
            "Fund team-based clinics led jointly by nurses and doctors",
            "Base a share of medical training places in rural clinics",
        ),
        quote="People here do not ask for a hospital. They ask for someone who knows their name.",
        speaker="Dr Tobias Renn, fictional country doctor",
    ),
    BriefSpec(
        title="Closing the Broadband Gap Without Wasting Billions",
        series="domestic-policy",
        topics=("technology-data", "housing-cities"),
        authors=("jonah-whitfield",),
        resources=("Digital Commons Trust", "Open Budget Lab"),
        days_ago=700,
        header_scene="network",
        analysis_scene="wind farm",
        subject="rural broadband",
        summary=(
            "Public money for rural broadband has too often paid for networks that were never finished. Funding "
            "tied to verified connections, open access and local co-operatives would stretch every grant further."
        ),
        problem="Subsidy programmes pay for promised coverage, and the promises are checked against maps rather "
        "than real connections.",
        context="Broadband grants have been announced by successive governments, each larger than the last.",
        evidence="Audits of the last programme found that a quarter of homes marked as covered could not in fact "
        "order a fast connection.",
        proposal="Paying providers per verified working connection, requiring open access to subsidised lines and "
        "letting community co-operatives bid would reward delivery rather than paperwork.",
        risk="Verification adds cost and delay if it is designed badly, so it should rely on simple, published tests.",
        recommendations=(
            "Pay subsidies per verified working connection",
            "Require open access on any line built with public money",
            "Let community co-operatives bid for grants on equal terms",
        ),
        quote="The map said we were connected. The map was wrong.",
        speaker="Gwen Pardoe, fictional parish clerk",
    ),
    BriefSpec(
        title="Apprenticeships Beyond the Factory Floor",
        series="domestic-policy",
        topics=("education-skills", "migration-labour"),
        authors=("samuel-adeyemi-clarke", "priya-raman-holt"),
        resources=("Learning Bridges", "Fair Passage Institute"),
        days_ago=600,
        header_scene="harbour",
        analysis_scene="civic building",
        subject="apprenticeships in service industries",
        summary=(
            "Apprenticeships are still associated with manufacturing, yet most new jobs are in care, logistics and "
            "digital services. Extending the model to these sectors needs shared training centres and support for "
            "small firms."
        ),
        problem="Small firms in service industries rarely offer apprenticeships because the paperwork and training "
        "burden falls on a handful of staff.",
        context="The apprenticeship system was designed with large industrial employers in mind.",
        evidence="Firms with fewer than fifty employees create most new service jobs but host fewer than one in five "
        "apprentices.",
        proposal="Shared training centres run by sector bodies would take on teaching and paperwork so small firms "
        "can focus on the workplace part.",
        risk="Shared centres can drift away from what employers need unless employers sit on their boards.",
        recommendations=(
            "Fund shared training centres for care, logistics and digital services",
            "Cut the paperwork for firms hosting one or two apprentices",
            "Put employers and apprentices on the boards of training centres",
        ),
        quote="I learned more in my first month on the ward than in a year of classes, but I needed both.",
        speaker="Keisha Morrow, fictional care apprentice",
    ),
    BriefSpec(
        title="Local Elections Deserve Better Data",
        series="domestic-policy",
        topics=("democracy-governance", "technology-data"),
        authors=("jonah-whitfield", "tomasz-lindqvist"),
        resources=("Open Budget Lab", "Digital Commons Trust"),
        days_ago=480,
        header_scene="civic building",
        analysis_scene="network",
        subject="data in local election administration",
        summary=(
            "Local election offices run on thin budgets and old systems, and publish results in formats that are "
            "hard to check. Shared tools and open result formats would improve trust at little cost."
        ),
        problem="Each local election office builds or buys its own systems, and results are often published as "
        "scanned documents.",
        context="Local elections draw less attention than national ones, and their administration receives less "
        "money and scrutiny.",
        evidence="Fewer than a third of local offices publish results in a format that can be checked automatically.",
        proposal="A shared, open-source toolkit for results and a common data format would let anyone verify "
        "results within hours of the count.",
        risk="Shared tools concentrate risk, so they must be audited independently and offices must keep paper "
        "records.",
        recommendations=(
            "Adopt a common, open format for publishing local results",
            "Fund a shared, independently audited toolkit for election offices",
            "Keep paper records as the authoritative source for every count",
        ),
        quote="Trust is built in the boring parts: the spreadsheets, the seals, the second count.",
        speaker="Odile Ferrand, fictional returning officer",
    ),
    BriefSpec(
        title="Heat-Ready Cities: Preparing Neighbourhoods for Hotter Summers",
        series="domestic-policy",
        topics=("climate-energy", "housing-cities", "public-health"),
        authors=("elena-marchetti", "samuel-adeyemi-clarke", "priya-raman-holt"),
        resources=("Neighbourhood Homes Federation", "Civic Water Alliance", "Coastal Resilience Network"),
        days_ago=330,
        header_scene="skyline",
        analysis_scene="ridges",
        subject="urban heat",
        summary=(
            "Heatwaves now kill more people each year than floods, and the risk falls hardest on older residents "
            "in dense, treeless streets. Cities can cut that risk with trees, cooler buildings and a warning plan."
        ),
        problem="The hottest streets are usually those with the fewest trees, the oldest housing and the most "
        "residents living alone.",
        context="Cities have detailed plans for floods and snow but rarely for prolonged heat.",
        evidence="Surface temperatures in the densest districts of Eastbridge were up to eight degrees higher than "
        "in leafy suburbs during last summer's heatwave.",
        proposal="A heat plan that combines street trees, reflective roofs, cooling centres and a register of "
        "residents at risk would save lives at modest cost.",
        risk="Greening can raise rents and push out the residents it is meant to protect unless it comes with "
        "tenant protections.",
        recommendations=(
            "Map heat risk street by street and publish the map",
            "Plant trees and fit cool roofs in the hottest districts first",
            "Set up cooling centres and a call list for residents living alone",
        ),
        quote="Heat is a quiet disaster. Nobody sees it until the ambulances come.",
        speaker="Lucía Brandt, fictional public-health officer",
    ),
    BriefSpec(
        title="Reliable Buses Are Social Policy",
        series="domestic-policy",
        topics=("housing-cities", "climate-energy"),
        authors=("samuel-adeyemi-clarke",),
        resources=("Neighbourhood Homes Federation", "Open Budget Lab"),
        days_ago=190,
        header_scene="skyline",
        analysis_scene="map",
        subject="bus services in mid-sized towns",
        summary=(
            "For people without cars, an unreliable bus is the difference between keeping a job and losing it. "
            "Frequent routes, bus lanes and simple fares would do more for opportunity than most training schemes."
        ),
        problem="Bus services in mid-sized towns have been cut to hourly routes that few people can plan a life "
        "around.",
        context="Bus funding has been squeezed for years, and each cut has lowered ridership and justified the next.",
        evidence="In the Midland Towns, fewer than half of jobs can be reached within an hour by bus from the "
        "poorest neighbourhoods.",
        proposal="A core network of routes running every fifteen minutes, protected by bus lanes and priced with "
        "a simple daily cap, would reconnect people with work.",
        risk="A frequent network costs more to run, so it needs stable multi-year funding rather than annual grants.",
        recommendations=(
            "Guarantee a fifteen-minute service on core routes",
            "Build bus lanes where delays are worst",
            "Introduce a simple daily fare cap",
        ),
        quote="I turned down the better job because the last bus home left at seven.",
        speaker="Ray Dunmore, fictional warehouse worker",
    ),
    BriefSpec(
        title="Early Literacy Starts Before School",
        series="domestic-policy",
        topics=("education-skills", "public-health"),
        authors=("priya-raman-holt", "samuel-adeyemi-clarke"),
        resources=("Learning Bridges", "Open Budget Lab"),
        days_ago=60,
        header_scene="civic building",
        analysis_scene="ridges",
        subject="early literacy",
        summary=(
            "Children who start school behind in language rarely catch up. Health visitors, libraries and "
            "nurseries already reach almost every family; small changes would make them a literacy network."
        ),
        problem="Gaps in vocabulary are visible by age two, yet most support starts only when children reach school.",
        context="Early-years services are run by different agencies that rarely share information or goals.",
        evidence="Children in the least advantaged areas hear, on average, far fewer words a day at home, and the "
        "gap in reading at age seven mirrors it closely.",
        proposal="Giving every family a book bundle at health checks, library membership at birth and language "
        "screening at age two would build on contacts that already happen.",
        risk="Screening without follow-up support would label children without helping them.",
        recommendations=(
            "Hand out book bundles at routine health checks",
            "Register every newborn with the local library",
            "Pair language screening at age two with guaranteed follow-up",
        ),
        quote="The best reading programme we ever ran was a library card and a friendly librarian.",
        speaker="Hanna Ekdahl, fictional nursery head",
    ),
    # Economic Policy Brief
    BriefSpec(
        title="Paying for the Energy Transition Without Raising Bills",
        series="economic-policy",
        topics=("climate-energy",),
        authors=("elena-marchetti", "tomasz-lindqvist"),
        resources=("Coastal Resilience Network", "Open Budget Lab"),
        days_ago=1080,
        header_scene="wind farm",
        analysis_scene="skyline",
        subject="financing the energy transition",
        summary=(
            "Policy levies on electricity bills fund much of the transition, which makes clean power look dearer "
            "than it is. Moving those costs to general taxation would be fairer and speed up electrification."
        ),
        problem="Households pay for climate policies through their electricity bills, which weighs most on those "
        "with the least.",
        context="Levies were added to bills because it was politically easier than raising taxes.",
        evidence="Levies make up almost a fifth of a typical electricity bill but a far smaller share of gas bills, "
        "penalising homes that switch to heat pumps.",
        proposal="Moving levies from electricity bills to general taxation over five years would cut bills and make "
        "the cleaner choice the cheaper one.",
        risk="The shift adds to public borrowing unless it is matched by other revenue, such as a gradual rise in "
        "carbon prices.",
        recommendations=(
            "Move policy levies off electricity bills over five years",
            "Fund the change partly through carbon pricing",
            "Protect low-income households during the transition",
        ),
        quote="We ask people to switch to electric heating, then charge them extra for doing it.",
        speaker="Fenna Rijkaart, fictional energy regulator",
    ),
    BriefSpec(
        title="Small Exporters and the Paperwork Problem",
        series="economic-policy",
        topics=("trade-investment",),
        authors=("tomasz-lindqvist", "amara-okafor"),
        resources=("Trade Route Monitor", "Fair Passage Institute"),
        days_ago=960,
        header_scene="harbour",
        analysis_scene="map",
        subject="customs paperwork for small exporters",
        summary=(
            "For a small firm, the cost of customs paperwork can wipe out the margin on an export order. A single "
            "digital window and trusted-trader status for small firms would open markets that are closed today."
        ),
        problem="Small firms face the same forms and checks as multinationals but have no customs departments.",
        context="Customs procedures have been digitised piecemeal, so firms still deal with several agencies and "
        "systems for one shipment.",
        evidence="Firms with fewer than ten staff spend, on average, four times as much on paperwork per shipment as "
        "large exporters.",
        proposal="A single digital window for every export document, and a simplified trusted-trader scheme for "
        "small firms, would cut costs without weakening checks.",
        risk="Simplification must not open gaps for smuggling, so risk-based checks should continue behind the scenes.",
        recommendations=(
            "Build a single digital window for all export documents",
            "Create a simplified trusted-trader scheme for small firms",
            "Publish average clearance times by port every month",
        ),
        quote="We could sell twice as much abroad if we did not need a week of forms for every pallet.",
        speaker="Ines Calloway, fictional owner of a ceramics workshop",
    ),
    BriefSpec(
        title="Why Public Procurement Shuts Out Small Firms",
        series="economic-policy",
        topics=("trade-investment", "democracy-governance"),
        authors=("tomasz-lindqvist",),
        resources=("Open Budget Lab", "Digital Commons Trust"),
        days_ago=820,
        header_scene="civic building",
        analysis_scene="network",
        subject="public procurement",
        summary=(
            "Public bodies spend a large share of national income on goods and services, yet most contracts go to "
            "a small circle of large suppliers. Simpler tenders and smaller lots would widen competition."
        ),
        problem="Tender documents run to hundreds of pages and demand years of accounts that young firms do not have.",
        context="Procurement rules were tightened after past scandals, and each layer of safeguards added cost for "
        "bidders.",
        evidence="Small and medium-sized firms win fewer than a quarter of public contracts by value, though they "
        "make up most of the economy.",
        proposal="Shorter standard tenders, contracts split into smaller lots and prompt payment rules would let "
        "more firms compete.",
        risk="Smaller lots mean more contracts to manage, so procurement teams need the staff and tools to cope.",
        recommendations=(
            "Introduce a short standard tender for contracts below a threshold",
            "Split large contracts into lots where practical",
            "Pay suppliers within thirty days, and publish payment times",
        ),
        quote="Writing the bid cost us more than the profit we would have made on the contract.",
        speaker="Marcus Ellery, fictional software entrepreneur",
    ),
    BriefSpec(
        title="Taxing Land, Not Buildings: A Pilot Worth Trying",
        series="economic-policy",
        topics=("housing-cities", "democracy-governance"),
        authors=("tomasz-lindqvist", "samuel-adeyemi-clarke"),
        resources=("Neighbourhood Homes Federation", "Open Budget Lab"),
        days_ago=650,
        header_scene="map",
        analysis_scene="skyline",
        subject="land value taxation",
        summary=(
            "Property taxes that fall on buildings discourage the very investment towns want. A pilot shifting the "
            "tax toward land values in a few willing towns would show whether the theory holds in practice."
        ),
        problem="Owners who leave sites empty or derelict pay less tax than neighbours who build homes or shops.",
        context="Economists have argued for taxing land values for more than a century, but few places have tried it.",
        evidence="In the towns we modelled, vacant and underused plots near town centres would pay several times "
        "more under a land-value tax, while most homeowners would pay slightly less.",
        proposal="A five-year pilot in a handful of volunteer towns, phasing in the change gradually, would produce "
        "the evidence needed for a wider decision.",
        risk="Owners who are asset-rich but cash-poor need a way to defer payment so that the pilot does not force "
        "sales.",
        recommendations=(
            "Invite volunteer towns to pilot a land-value tax over five years",
            "Phase the change in gradually and allow deferral for cash-poor owners",
            "Commission an independent evaluation from the start",
        ),
        quote="The empty lot on the high street pays less than the bakery next to it. That cannot be right.",
        speaker="Beatrix Lowe, fictional mayor of Kestrel Bay",
    ),
    BriefSpec(
        title="The Care Economy Needs a Workforce Plan",
        series="economic-policy",
        topics=("public-health", "migration-labour"),
        authors=("priya-raman-holt", "tomasz-lindqvist"),
        resources=("Fair Passage Institute", "Learning Bridges"),
        days_ago=450,
        header_scene="skyline",
        analysis_scene="civic building",
        subject="the care workforce",
        summary=(
            "Demand for care is rising faster than almost any other sector, yet care work remains low-paid and "
            "insecure. A workforce plan with pay bands, training routes and fair recruitment would stabilise it."
        ),
        problem="Care providers lose a third of their staff each year, and vacancies are filled by agency workers "
        "at higher cost.",
        context="Care has grown into one of the largest employers in the economy without the workforce planning "
        "that health services take for granted.",
        evidence="Median pay in care is below that of retail and hospitality, though the work requires more training "
        "and responsibility.",
        proposal="National pay bands linked to skills, funded training routes and ethical international recruitment "
        "would turn care into a career.",
        risk="Higher pay must be funded; otherwise providers will cut hours or close, reducing care for the people "
        "who need it.",
        recommendations=(
            "Introduce national pay bands for care work linked to skills",
            "Fund training routes from care assistant to nursing",
            "Enforce ethical standards for international recruitment",
        ),
        quote="I love the work. I just cannot afford to keep doing it.",
        speaker="Adaeze Nwosu, fictional home-care worker",
    ),
    BriefSpec(
        title="Data Centres, Power Demand and the Public Interest",
        series="economic-policy",
        topics=("technology-data", "climate-energy"),
        authors=("jonah-whitfield", "elena-marchetti"),
        resources=("Digital Commons Trust", "Civic Water Alliance"),
        days_ago=300,
        header_scene="network",
        analysis_scene="wind farm",
        subject="the growth of data centres",
        summary=(
            "New data centres bring investment but also claim large shares of local power and water. Clear "
            "conditions on grid connections, waste heat and water use would align them with the public interest."
        ),
        problem="Grid connections are allocated first come, first served, so data centres can reserve capacity that "
        "housing and industry also need.",
        context="Data centres have moved from the edges of large cities to rural areas near cheap land and power "
        "lines.",
        evidence="Applications for grid connections from data centres in the Harrow Valley now exceed the capacity "
        "planned for the whole region over the next decade.",
        proposal="Connection rules that favour sites able to use renewable power flexibly, share waste heat and "
        "recycle water would steer growth to where it helps most.",
        risk="Rules that are too strict would push investment to neighbouring states without reducing global demand.",
        recommendations=(
            "Prioritise grid connections for projects that can shift their demand",
            "Require plans to reuse waste heat where a heat network exists",
            "Publish the water and power use of every large data centre",
        ),
        quote="A data centre is welcome here. A data centre that heats our school would be even more welcome.",
        speaker="Tomas Brenner, fictional district planner",
    ),
    BriefSpec(
        title="Insuring Farms Against a Changing Climate",
        series="economic-policy",
        topics=("climate-energy", "trade-investment"),
        authors=("elena-marchetti",),
        resources=("Coastal Resilience Network", "Civic Water Alliance"),
        days_ago=160,
        header_scene="wind farm",
        analysis_scene="ridges",
        subject="crop insurance in a changing climate",
        summary=(
            "Floods, droughts and late frosts are becoming more frequent, and private crop insurance is "
            "retreating from the riskiest areas. Index-based cover with public reinsurance could keep farms insurable."
        ),
        problem="Premiums in flood-prone valleys have doubled in five years, and some insurers no longer offer cover.",
        context="Governments have relied on emergency payments after each disaster, which arrive late and reward "
        "no preparation.",
        evidence="Emergency payments to farmers have grown steadily, while the share of farms with insurance has "
        "fallen.",
        proposal="Index-based insurance that pays out automatically when rainfall or temperature passes agreed "
        "thresholds, backed by public reinsurance, would be quicker and cheaper to run.",
        risk="Index cover can miss losses on individual farms, so it works best alongside traditional policies.",
        recommendations=(
            "Back index-based crop insurance with public reinsurance",
            "Reward farms that invest in drainage and water storage",
            "Replace ad-hoc emergency payments with insured cover over time",
        ),
        quote="After the third flood the insurer stopped calling back. The river did not.",
        speaker="Wilhelmina Saar, fictional fruit grower",
    ),
    BriefSpec(
        title="Seasonal Workers and the Harvest Economy",
        series="economic-policy",
        topics=("migration-labour", "trade-investment"),
        authors=("priya-raman-holt", "amara-okafor"),
        resources=("Fair Passage Institute", "Trade Route Monitor"),
        days_ago=15,
        header_scene="ridges",
        analysis_scene="map",
        subject="seasonal work in agriculture",
        summary=(
            "Harvests depend on seasonal workers who too often pay recruitment fees and live in poor housing. "
            "Licensed recruiters, portable visas and inspections would protect workers and growers alike."
        ),
        problem="Seasonal workers often arrive in debt to recruiters and are tied to a single employer for their stay.",
        context="Seasonal schemes have expanded quickly to fill labour gaps, and oversight has not kept pace.",
        evidence="Most workers we surveyed paid fees to recruiters, and one in three said they could not change "
        "employer when conditions were poor.",
        proposal="Licensing recruiters, banning fees charged to workers and letting visas move between approved "
        "employers would remove the worst abuses.",
        risk="Growers fear higher costs, so the reforms should be phased in with support for housing improvements.",
        recommendations=(
            "License recruiters and ban fees charged to workers",
            "Let seasonal visas move between approved employers",
            "Inspect housing and working conditions every season",
        ),
        quote="I came to pick fruit, not to pay off a debt for two summers.",
        speaker="Mihail Dorin, fictional seasonal worker",
    ),
)

# Fictional places used to vary the titles of generated (benchmark) briefs.
PLACES = (
    "the Calder Basin",
    "Port Averne",
    "Lowmarsh",
    "the Northern Provinces",
    "Eastbridge",
    "the Harrow Valley",
    "Kestrel Bay",
    "the Midland Towns",
)

# Where the generated illustrations are said to come from; all fictional.
PHOTO_CREDITS = (
    ("Meridian Image Desk", "https://images.example.org/meridian/"),
    ("Open Horizon Picture Library", "https://openhorizon.example.net/pictures/"),
    ("Northlight Illustration Collective", "https://northlight.example.org/works/"),
)
