#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerates the quickstart's address book (contacts/*.vcf) and CRM seed
(crm-seed/crm_contact/*.json). Deterministic; the output is committed, so
running the quickstart needs no Python."""
import json, os, random, shutil

random.seed(7)
people = [
 ("Ada","Lovelace","Analytical Engines Ltd","Head of Research","+44 20 7946 0001","ada.lovelace@engines.example"),
 ("Grace","Hopper","Navy Computing Lab","Rear Admiral","+1 202 555 0101","grace.hopper@navy.example"),
 ("Alan","Turing","Bletchley Works","Cryptanalyst","+44 1908 640404","alan.turing@bletchley.example"),
 ("Katherine","Johnson","Langley Flight","Mathematician","+1 757 555 0144","katherine.johnson@langley.example"),
 ("Jürgen","Müller","Müller & Söhne GmbH","Geschäftsführer","+49 30 1234567","juergen.mueller@soehne.example"),
 ("Zoë","Dubois","Atelier Dubois","Directrice","+33 1 42 68 53 00","zoe.dubois@atelier.example"),
 ("Hiroshi","Tanaka","Tanaka Robotics","CTO","+81 3 1234 5678","hiroshi.tanaka@robotics.example"),
 ("Maria","García","Soluciones Ibéricas","Directora Comercial","+34 91 123 45 67","maria.garcia@ibericas.example"),
 ("Olu","Adeyemi","Lagos Logistics","Operations Lead","+234 1 270 1234","olu.adeyemi@lagoslog.example"),
 ("Priya","Raman","Chennai Analytics","Data Scientist","+91 44 2345 6789","priya.raman@analytics.example"),
 ("Lars","Andersson","Nordic Timber AB","Purchasing Manager","+46 8 123 456 78","lars.andersson@timber.example"),
 ("Sofia","Rossi","Rossi Design","Creative Director","+39 06 1234 5678","sofia.rossi@design.example"),
 ("Chen","Wei","Shenzhen Circuits","Sales Engineer","+86 755 1234 5678","chen.wei@circuits.example"),
 ("Fatima","Zahra","Atlas Trading","Account Manager","+212 522 123456","fatima.zahra@atlas.example"),
 ("Liam","O'Brien","Dublin Brewing Co","Head Brewer","+353 1 234 5678","liam.obrien@brewing.example"),
 ("Noor","Haddad","Levant Foods","Buyer","+961 1 123 456","noor.haddad@levant.example"),
 ("Mateo","Silva","Porto Ships","Fleet Manager","+351 22 123 4567","mateo.silva@portoships.example"),
 ("Anna","Kowalska","Kraków Software","Team Lead","+48 12 345 67 89","anna.kowalska@krakowsoft.example"),
 ("Erik","Jensen","Copenhagen Wind","Engineer","+45 33 12 34 56","erik.jensen@wind.example"),
 ("Aisha","Bello","Abuja Health","Clinic Director","+234 9 123 4567","aisha.bello@health.example"),
 ("Tom","Becker","Becker Bau","Bauleiter","+49 89 987654","tom.becker@bau.example"),
 ("Emma","Wilson","Wilson & Partners","Solicitor","+44 161 496 0123","emma.wilson@partners.example"),
 ("Lucas","Martin","Lyon Textiles","Designer","+33 4 72 00 00 00","lucas.martin@textiles.example"),
 ("Yuki","Sato","Osaka Foods","Marketing Manager","+81 6 1234 5678","yuki.sato@osakafoods.example"),
 ("Rahul","Mehta","Mumbai Fintech","Founder","+91 22 2345 6789","rahul.mehta@fintech.example"),
 ("Isabel","Costa","Lisbon Tours","Guide","+351 21 123 4567","isabel.costa@tours.example"),
 ("Jonas","Schmidt","Hamburg Port Services","Dispatcher","+49 40 123456","jonas.schmidt@port.example"),
 ("Chloé","Lefèvre","Bordeaux Vins","Sommelière","+33 5 56 00 00 00","chloe.lefevre@vins.example"),
 ("Pedro","Alves","São Paulo Media","Producer","+55 11 2345 6789","pedro.alves@media.example"),
 ("Hana","Novak","Prague Glass","Artisan","+420 2 1234 5678","hana.novak@glass.example"),
 ("Omar","Farouk","Cairo Engineering","Civil Engineer","+20 2 2345 6789","omar.farouk@engineering.example"),
 ("Ingrid","Berg","Oslo Fisheries","Quality Manager","+47 22 12 34 56","ingrid.berg@fish.example"),
 ("Kwame","Mensah","Accra Cocoa","Exporter","+233 30 123 4567","kwame.mensah@cocoa.example"),
 ("Elena","Petrova","Sofia Pharma","Researcher","+359 2 123 4567","elena.petrova@pharma.example"),
 ("Daniel","Cohen","Tel Aviv Security","Analyst","+972 3 123 4567","daniel.cohen@security.example"),
 ("Mia","Fischer","Vienna Music","Conductor","+43 1 234 5678","mia.fischer@music.example"),
 ("Samuel","Okafor","Enugu Energy","Project Manager","+234 42 123 456","samuel.okafor@energy.example"),
 ("Laura","Bianchi","Milano Moda","Buyer","+39 02 1234 5678","laura.bianchi@moda.example"),
 ("Ahmed","Khan","Karachi Textiles","Director","+92 21 1234 5678","ahmed.khan@karachi.example"),
 ("Sara","Lindqvist","Gothenburg Auto","Engineer","+46 31 123 456","sara.lindqvist@auto.example"),
 ("Pablo","Fernández","Madrid Arquitectos","Architect","+34 91 765 43 21","pablo.fernandez@arq.example"),
 ("Julia","Nowak","Gdańsk Shipyard","Welder","+48 58 123 45 67","julia.nowak@shipyard.example"),
 ("Ravi","Iyer","Bangalore Cloud","SRE","+91 80 2345 6789","ravi.iyer@cloud.example"),
 ("Eva","Horvát","Budapest Bank","Risk Officer","+36 1 234 5678","eva.horvat@bank.example"),
 ("Nikos","Papadopoulos","Athens Olive Co","Owner","+30 21 0123 4567","nikos.papa@olive.example"),
 ("Amara","Diallo","Dakar Telecom","Network Planner","+221 33 123 45 67","amara.diallo@telecom.example"),
 ("Ben","Carter","Carter Consulting","Consultant","+1 415 555 0188","ben.carter@consulting.example"),
 ("Lea","Meier","Zürich Insurance","Actuary","+41 44 123 45 67","lea.meier@insure.example"),
 ("Victor","Ionescu","Bucharest Logistics","Driver Coordinator","+40 21 123 4567","victor.ionescu@logistics.example"),
 ("Tara","Nguyen","Saigon Coffee","Roaster","+84 28 1234 5678","tara.nguyen@coffee.example"),
]
assert len(people) == 50

def esc(s): return s.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")

def qp(s):  # quoted-printable of windows-1252 bytes, as Outlook writes it
    out = ""
    for b in s.encode("cp1252"):
        out += chr(b) if 33 <= b <= 126 and b != 61 else "=%02X" % b
    return out

here = os.path.dirname(os.path.abspath(__file__))
cdir = os.path.join(here, "contacts")
shutil.rmtree(cdir, ignore_errors=True)
os.makedirs(cdir)
notes = ["Met at the trade fair; follow up in spring.", "Prefers email over phone.", "Introduced by a mutual friend.",
         "Asked for the new catalogue.", ""]
for i, (g, f, org, title, tel, email) in enumerate(people):
    slug = "%02d-%s-%s" % (i + 1, g.lower(), f.lower().replace("'", ""))
    slug = slug.encode("ascii", "ignore").decode()
    note = notes[i % len(notes)]
    if i < 10:  # Outlook vCard 2.1 export
        lines = ["BEGIN:VCARD", "VERSION:2.1",
                 "N;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:%s;%s;;;" % (qp(f), qp(g)),
                 "FN;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:%s" % qp(g + " " + f),
                 "ORG;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:%s" % qp(org),
                 "TITLE;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:%s" % qp(title),
                 "TEL;WORK;VOICE:%s" % tel, "EMAIL;PREF;INTERNET:%s" % email]
        if note: lines.append("NOTE;ENCODING=QUOTED-PRINTABLE:%s" % qp(note))
        lines += ["REV:20250101T120000Z", "END:VCARD"]
        data = ("\r\n".join(lines) + "\r\n").encode("ascii")
    elif i < 30:  # Apple / Google vCard 3.0
        lines = ["BEGIN:VCARD", "VERSION:3.0", "PRODID:-//Apple Inc.//macOS 14.0//EN",
                 "N:%s;%s;;;" % (esc(f), esc(g)), "FN:%s %s" % (esc(g), esc(f)), "ORG:%s;" % esc(org),
                 "TITLE:%s" % esc(title), "EMAIL;type=INTERNET;type=WORK;type=pref:%s" % email,
                 "TEL;type=WORK;type=VOICE;type=pref:%s" % tel]
        if note: lines.append("NOTE:%s" % esc(note))
        lines += ["UID:%08X-0000-4000-8000-%012d" % (i, i), "END:VCARD"]
        data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    else:  # vCard 4.0
        lines = ["BEGIN:VCARD", "VERSION:4.0", "UID:urn:uuid:00000000-0000-4000-8000-%012d" % i,
                 "FN:%s %s" % (esc(g), esc(f)), "N:%s;%s;;;" % (esc(f), esc(g)), "ORG:%s" % esc(org),
                 "TITLE:%s" % esc(title), "EMAIL;TYPE=work;PREF=1:%s" % email, "TEL;TYPE=work,voice:%s" % tel]
        if note: lines.append("NOTE:%s" % esc(note))
        if i % 7 == 0: lines.append("CATEGORIES:Customers")
        lines.append("END:VCARD")
        data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    with open(os.path.join(cdir, slug + ".vcf"), "wb") as fh:
        fh.write(data)

# The CRM: five people it shares with the address book (by email, with its
# own Title or Phone), and three only it knows. Field names are the CRM's.
sdir = os.path.join(here, "crm-seed", "crm_contact")
shutil.rmtree(os.path.join(here, "crm-seed"), ignore_errors=True)
os.makedirs(sdir)
crm = [
 {"FirstName": "Ada", "LastName": "Lovelace", "Name": "Ada Lovelace", "Email": "ada.lovelace@engines.example",
  "Phone": "+442079460001", "Company": "Analytical Engines Ltd", "Title": "Head of Research", "Rating": "Hot", "LeadSource": "Conference"},
 {"FirstName": "Grace", "LastName": "Hopper", "Name": "Grace Hopper", "Email": "grace.hopper@navy.example",
  "Phone": "+12025550101", "Company": "Navy Computing Lab", "Title": "Rear Admiral", "Rating": "Warm", "LeadSource": "Referral"},
 {"FirstName": "Alan", "LastName": "Turing", "Name": "Alan Turing", "Email": "alan.turing@bletchley.example",
  "Phone": "+441908640404", "Company": "Bletchley Works", "Title": "Cryptanalyst", "Rating": "Cold", "LeadSource": "Web"},
 {"FirstName": "Ben", "LastName": "Carter", "Name": "Ben Carter", "Email": "ben.carter@consulting.example",
  "Phone": "+14155550188", "Company": "Carter Consulting", "Title": "Consultant", "Rating": "Warm", "LeadSource": "Web"},
 {"FirstName": "Tara", "LastName": "Nguyen", "Name": "Tara Nguyen", "Email": "tara.nguyen@coffee.example",
  "Phone": "+842812345678", "Company": "Saigon Coffee", "Title": "Roaster", "Rating": "Hot", "LeadSource": "Trade fair"},
 {"FirstName": "Marcus", "LastName": "Webb", "Name": "Marcus Webb", "Email": "marcus.webb@webb-ind.example",
  "Phone": "+441314960000", "Company": "Webb Industries", "Title": "Procurement Lead", "Rating": "Warm", "LeadSource": "Web"},
 {"FirstName": "Nadia", "LastName": "Petrenko", "Name": "Nadia Petrenko", "Email": "nadia.petrenko@kyivsoft.example",
  "Phone": "+380441234567", "Company": "Kyiv Soft", "Title": "CEO", "Rating": "Hot", "LeadSource": "Partner"},
 {"FirstName": "Oscar", "LastName": "Lind", "Name": "Oscar Lind", "Email": "oscar.lind@lindfoods.example",
  "Phone": "+4681234599", "Company": "Lind Foods", "Title": "Buyer", "Rating": "Cold", "LeadSource": "Web"},
]
for n, rec in enumerate(crm, 1):
    with open(os.path.join(sdir, "crm-%03d.json" % n), "w") as fh:
        json.dump(rec, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
print("wrote", len(people), "vCards and", len(crm), "CRM records")
