# phrases.pl.lex -- Polish phrases that signal an AI-efficiency announcement.
# Format: weight | phrase   (README.md).  Polish inflects nouns and
# adjectives, so most entries end in '*': "tańsz*" covers tańszy, tańsza,
# tańszego, tańszym ...

# Taniej lub szybciej: trening i inferencja
35 | tańsz* model*
30 | tańsz* ai
30 | tani* model*
25 | taniej
20 | tani*
15 | otwart*
20 | jedn* procesor*
10 | model* ai
30 | niższ* koszt*
30 | koszt* trenowania
30 | koszt* treningu
25 | ułamk* kosztów
25 | szybsz* inferencj*
15 | wydajn*
# Liczby: "2048 układów H800 za 5,6 mln USD"
25 | # mln dolarów
25 | # mln usd
# Obniżki cen API
35 | obniż* cen*
# v4: the concepts of v3 in more inflections (g10 "obniża ceny swoich
# modeli AI"): superlatives, "cheaper" alone, lower prices, price war
30 | najtańsz*
20 | tańsz*
30 | tańsz* sztuczn* inteligencj*
30 | niższ* cen*
30 | wojn* cenow*
25 | cen* modeli
25 | ułamek kosztów
20 | za ułamek
35 | obniżk* cen*
# Destylacja i otwarte wagi
30 | destylac*
30 | destylowan*
30 | otwart* wag*
25 | otwart* model*
15 | licencj* mit
# Rywale czołowych modeli
25 | dorówn*
25 | chińsk* model*
25 | chińsk* ai
25 | chińsk* sztuczn* inteligencj*
20 | przełom* w ai
# Reakcja rynku: słaba sama, rozstrzygająca obok nazwy laboratorium
15 | wyprzedaż*
10 | spadaj*
15 | przecen*
15 | nurkuj*
15 | tąpnięci*
15 | załamani*
15 | panik*
15 | szok*
10 | traci* prawie
20 | wątpliwości co do popytu
# Zwykłe wiadomości biznesowe: przeciwwskazania
-25 | wynik* kwartaln*
-25 | rekordow* przychod*
-20 | dywidend*
-20 | stop* procentow*
-30 | ochron* danych
-20 | popyt na chipy
-20 | zwiększ* inwestycj*
-20 | rośnie popyt
