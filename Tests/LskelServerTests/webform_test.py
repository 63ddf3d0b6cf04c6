"""Drives the lskeld web form in a real browser (Debian's chromium and
chromium-driver through selenium). Run by WebFormTests.swift against a live
server:

    webform_test.py BASE_URL OBJECT NOT_ELF EXPECTED_JSON CLI_HEADER SCREENSHOT_DIR
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

base, obj, not_elf, expected_path, cli_header, shots = sys.argv[1:7]
expected = json.load(open(expected_path))
downloads = os.path.join(shots, "downloads")
os.makedirs(downloads, exist_ok=True)

options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1600"):
    options.add_argument(flag)
options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 30)
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


try:
    driver.get(base + "/")
    check(driver.title.startswith("lskeld"), "the page did not load: " + driver.title)
    # Every input has a label.
    for field in driver.find_elements(By.CSS_SELECTOR, "input, select, textarea"):
        field_id = field.get_attribute("id")
        check(bool(driver.find_elements(By.CSS_SELECTOR, f"label[for='{field_id}']")), f"input {field_id} has no label")

    driver.find_element(By.ID, "object").send_keys(obj)
    driver.find_element(By.ID, "cpus").send_keys("8")
    # Keyboard: tab to the submit button and press Enter.
    driver.execute_script("document.getElementById('sign_scheme').focus()")
    driver.switch_to.active_element.send_keys(Keys.TAB)
    check(driver.switch_to.active_element.get_attribute("id") == "submit", "Tab from the last field does not reach the button")
    driver.switch_to.active_element.send_keys(Keys.ENTER)

    wait.until(EC.visibility_of_element_located((By.ID, "programs")))
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#programs tbody tr")) == len(expected["programs"]))
    program_rows = driver.find_elements(By.CSS_SELECTOR, "#programs tbody tr")
    shown = {r.find_elements(By.TAG_NAME, "td")[0].text: int(r.find_elements(By.TAG_NAME, "td")[5].text) for r in program_rows}
    for name, count in expected["programs"].items():
        check(shown.get(name) == count, f"program {name}: shows {shown.get(name)} relocations, manifest has {count}")
    map_names = [r.find_elements(By.TAG_NAME, "td")[0].text for r in driver.find_elements(By.CSS_SELECTOR, "#maps tbody tr")]
    for name in expected["maps"]:
        check(name in map_names, f"map {name} missing from {map_names}")
    # The CPU count the loader bakes in stands out.
    check("8" in driver.find_element(By.ID, "profile").text, "the profile table does not show cpus=8")
    check(len(driver.find_elements(By.CSS_SELECTOR, "#profile tr.baked")) >= 1, "no baked-in value is highlighted")
    # Relocation filter.
    Select(driver.find_element(By.ID, "reloc-kind")).select_by_visible_text("map")
    rows = driver.find_elements(By.CSS_SELECTOR, "#relocations tbody tr")
    check(rows and all(r.find_elements(By.TAG_NAME, "td")[1].text == "map" for r in rows), "the kind filter does not filter")
    check("curl -F object=@" in driver.find_element(By.ID, "curl").text, "no curl command")
    driver.save_screenshot(os.path.join(shots, "result.png"))

    # Download the header and compare it with the CLI's.
    driver.find_element(By.ID, "download-header").click()
    target = os.path.join(downloads, os.path.basename(expected["header_file"]))
    for _ in range(100):
        if os.path.exists(target) and not os.path.exists(target + ".crdownload"):
            break
        time.sleep(0.1)
    check(os.path.exists(target), "the header was not downloaded")
    if os.path.exists(target):
        check(open(target, "rb").read() == open(cli_header, "rb").read(), "the downloaded header differs from lskel gen's")

    # Narrow screen (a 360 px wide phone viewport): nothing overflows sideways.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 360, "height": 800, "deviceScaleFactor": 1, "mobile": True})
    time.sleep(0.3)
    viewport, width = driver.execute_script(
        "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]")
    check(viewport == 360 and width <= 360, f"the page is {width}px wide in a {viewport}px viewport")
    driver.save_screenshot(os.path.join(shots, "result-360.png"))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # Signed by the server's key: the summary and the downloads say so.
    driver.get(base + "/")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#sign option")) >= 2)
    driver.find_element(By.ID, "object").send_keys(obj)
    driver.find_element(By.ID, "kernel_release").send_keys("6.18.15+deb13-amd64")
    Select(driver.find_element(By.ID, "sign")).select_by_value("webform")
    driver.find_element(By.ID, "submit").click()
    wait.until(EC.visibility_of_element_located((By.ID, "result")))
    wait.until(lambda d: "loader-hash with key webform" in d.find_element(By.ID, "summary").text)
    check(bool(driver.find_elements(By.ID, "download-sig")), "no signature download for a signed loader")
    check("sign=webform" in driver.find_element(By.ID, "curl").text, "the curl command does not sign")
    driver.save_screenshot(os.path.join(shots, "signed.png"))

    # A file that is not an object: an error in plain words, no result.
    driver.get(base + "/")
    driver.find_element(By.ID, "object").send_keys(not_elf)
    driver.find_element(By.ID, "submit").click()
    wait.until(EC.visibility_of_element_located((By.ID, "error")))
    error = driver.find_element(By.ID, "error").text
    check("not an ELF file" in error, "the error does not say what is wrong: " + error)
    check(not driver.find_element(By.ID, "result").is_displayed(), "a result is shown for a bad object")
    driver.save_screenshot(os.path.join(shots, "error.png"))
finally:
    driver.quit()

print("screenshots:", shots)
if failures:
    print(f"{len(failures)} failed")
    sys.exit(1)
print("web form checks passed")
